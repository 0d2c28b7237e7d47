-- Registers list entries by organisation, then kind, then id: the index
-- carries the id so a page needs no sort.
DROP INDEX book_entries_by_organization;
CREATE INDEX book_entries_by_organization ON book_entries (organization_id, year, kind, id);
