//! Small-count suppression of published statistics, the one rule every
//! published table follows (oversight's statistics, the reports' upward
//! aggregates): a count under the threshold is withheld, and so is a
//! complement, so that no withheld count can be recovered by subtracting
//! published ones from a published total.

/// The default suppression threshold.
pub const DEFAULT_THRESHOLD: i64 = 5;

/// The rule, as the response states it.
pub const RULE: &str = "A count under the threshold is shown as <threshold (its value withheld). \
     Whenever a total is published and exactly one of the counts adding up to it is withheld, \
     the smallest other count is withheld too, shown as x (or the total, when none is left), so no withheld \
     count can be recovered by subtraction; counts an organisation holds outside its children \
     are treated as withheld. An amount is withheld with the count of cases it sums.";

/// Whether a published cell is withheld, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withheld {
    /// Published.
    No,
    /// Under the threshold: shown as `<threshold`.
    Small,
    /// Withheld as the complement of a small one: shown as `x`.
    Complement,
}

impl Withheld {
    /// True unless published.
    pub fn is_withheld(self) -> bool {
        self != Withheld::No
    }
}

/// Which cells of a table to withhold. `rows[0]` is the total of an
/// organisation's subtree and the others its children's, every row of the
/// same cells; `groups` says which cells of a row add up to which
/// (total, parts), and each column adds up from the children and what the
/// organisation holds itself. Returns one flag per cell, row by row.
pub fn suppress_table(
    rows: &[Vec<i64>],
    groups: &[(usize, Vec<usize>)],
    threshold: i64,
) -> Vec<Withheld> {
    let n = rows.len();
    let width = rows.first().map_or(0, Vec::len);
    let mut values: Vec<i64> = rows.iter().flatten().copied().collect();
    let published = values.len();
    // Per column, what the organisation holds outside its children: a cell
    // never published — unknown to a reader unless it is zero, and to be
    // protected when small.
    for col in 0..width {
        let children: i64 = rows.iter().skip(1).map(|r| r[col]).sum();
        values.push(rows[0][col] - children);
    }
    let mut unknown: Vec<bool> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if i >= published {
                *v != 0
            } else {
                *v < threshold
            }
        })
        .collect();
    let protect: Vec<bool> = values
        .iter()
        .enumerate()
        .map(|(i, v)| *v < threshold && (i < published || *v > 0))
        .collect();
    let mut all: Vec<(usize, Vec<usize>)> = (0..n)
        .flat_map(|r| {
            groups.iter().map(move |(total, parts)| {
                (
                    r * width + total,
                    parts.iter().map(|p| r * width + p).collect(),
                )
            })
        })
        .collect();
    if n > 1 {
        for col in 0..width {
            let mut parts: Vec<usize> = (1..n).map(|r| r * width + col).collect();
            parts.push(published + col);
            all.push((col, parts));
        }
    }
    loop {
        let mut changed = false;
        for (total, parts) in &all {
            if unknown[*total] {
                continue;
            }
            let hidden: Vec<usize> = parts.iter().copied().filter(|p| unknown[*p]).collect();
            if hidden.len() != 1 || !protect[hidden[0]] {
                continue;
            }
            let other = parts
                .iter()
                .copied()
                .filter(|p| *p < published && !unknown[*p])
                .min_by_key(|p| (values[*p], *p));
            unknown[other.unwrap_or(*total)] = true;
            changed = true;
        }
        if !changed {
            break;
        }
    }
    (0..published)
        .map(|i| match (unknown[i], values[i] < threshold) {
            (false, _) => Withheld::No,
            (true, true) => Withheld::Small,
            (true, false) => Withheld::Complement,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_child_and_its_complement_are_withheld() {
        // Total 20 = 3 + 17: the 3 is small, and the 17 would give it
        // away by subtraction.
        let s = suppress_table(&[vec![20], vec![3], vec![17]], &[], 5);
        assert_eq!(s, [Withheld::No, Withheld::Small, Withheld::Complement]);
    }

    #[test]
    fn large_counts_are_published() {
        let s = suppress_table(&[vec![30], vec![10], vec![20]], &[], 5);
        assert!(s.iter().all(|w| !w.is_withheld()));
    }
}
