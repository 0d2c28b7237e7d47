-- Every column holding an organisation or member id compares in the "C"
-- collation, like the ids it refers to. Columns left in the default
-- collation could not use their indexes in joins with "C" columns (the
-- planner saw a cast), so a subtree's roster scanned all member periods
-- once per organisation: 256 ms for one grassroots organisation's roster.
ALTER TABLE organizations ALTER COLUMN merged_into TYPE TEXT COLLATE "C";
ALTER TABLE organization_placements ALTER COLUMN parent_id TYPE TEXT COLLATE "C";
ALTER TABLE members ALTER COLUMN organization_id TYPE TEXT COLLATE "C";
ALTER TABLE member_periods ALTER COLUMN organization_id TYPE TEXT COLLATE "C";
ALTER TABLE book_entries ALTER COLUMN member_id TYPE TEXT COLLATE "C";
ALTER TABLE book_entries ALTER COLUMN organization_id TYPE TEXT COLLATE "C";
ALTER TABLE reviews ALTER COLUMN organization_id TYPE TEXT COLLATE "C";
ALTER TABLE obligation_lists ALTER COLUMN org_id TYPE TEXT COLLATE "C";
ALTER TABLE obligations ALTER COLUMN org_id TYPE TEXT COLLATE "C";
ALTER TABLE obligations ALTER COLUMN member_id TYPE TEXT COLLATE "C";
ALTER TABLE declarations ALTER COLUMN organization_id TYPE TEXT COLLATE "C";
ALTER TABLE verification_draws ALTER COLUMN org_id TYPE TEXT COLLATE "C";
