-- The planner's view of a subtree. A subtree is a range of placement paths;
-- with the default statistics target (100 histogram buckets) a district
-- among the 65,000 placements of a national tree (0.2 %) falls inside one
-- bucket and was estimated at 1 placement (actual 121), so the first page
-- of its member list joined and sorted all 10,390 members (35 – 44 ms)
-- instead of walking the path index and stopping after the page. A finer
-- histogram on `path` sees it (docs/benchmarks.md, issue 13). ANALYZE
-- makes the histogram; the service runs it as the tree grows.
ALTER TABLE organization_placements ALTER COLUMN path SET STATISTICS 1000;
