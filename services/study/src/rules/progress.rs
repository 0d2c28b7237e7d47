//! The rules of a plan's progress: figures per organisation rolled up its
//! tree (a parent is the sum of its children, a member counted once where
//! they were on the reference date), named non-members counted once per
//! subtree by identity number, and exact half-up percentages.

use std::collections::{HashMap, HashSet};

use probity_platform::rate::percent;
use probity_proto::probity::study::v1::{ProgressBreakdown, Rate};

/// A rate with its exact parts and its percentage.
pub fn rate(numerator: i64, denominator: i64) -> Rate {
    Rate {
        numerator,
        denominator,
        percent: percent(numerator, denominator),
    }
}

/// One organisation of the plan's tree, with its own figures and, after
/// [`roll_up`], its subtree's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Node {
    /// The organisation's id.
    pub id: String,
    /// Its parent in the plan's tree.
    pub parent: Option<String>,
    /// Its path in the plan's tree.
    pub path: String,
    /// Its depth below the scope's root.
    pub depth: i64,
    /// Its name.
    pub name: String,
    /// Eligible members.
    pub eligible: i64,
    /// Eligible members who attended a counted class.
    pub attended: i64,
    /// Eligible members who completed the plan.
    pub completed: i64,
    /// Learning reports submitted.
    pub submitted: i64,
    /// … of which late.
    pub late: i64,
    /// … of which accepted.
    pub accepted: i64,
    /// Classes held (not cancelled).
    pub classes: i64,
    /// … of which make-ups.
    pub make_up: i64,
    /// … of which counted in the rate.
    pub counted: i64,
    /// Non-members counted by head.
    pub head_count: i64,
    /// Named non-members without an identity number.
    pub anonymous_named: i64,
    /// Identity numbers of named non-members.
    pub identities: HashSet<String>,
    /// Supervision visits received.
    pub visits: i64,
}

impl Node {
    /// Adds a child's figures.
    pub fn add(&mut self, o: &Node) {
        self.eligible += o.eligible;
        self.attended += o.attended;
        self.completed += o.completed;
        self.submitted += o.submitted;
        self.late += o.late;
        self.accepted += o.accepted;
        self.classes += o.classes;
        self.make_up += o.make_up;
        self.counted += o.counted;
        self.head_count += o.head_count;
        self.anonymous_named += o.anonymous_named;
        self.identities.extend(o.identities.iter().cloned());
        self.visits += o.visits;
    }

    /// Non-members: counted by head, named without an identity number, and
    /// distinct identity numbers.
    pub fn non_members(&self) -> i64 {
        self.head_count + self.anonymous_named + self.identities.len() as i64
    }
}

/// The index of each node by organisation id.
pub fn index(nodes: &[Node]) -> HashMap<String, usize> {
    nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.clone(), i))
        .collect()
}

/// The node a class counts under: its organiser's, or its nearest ancestor's
/// in the tree (for an organisation set up after the reference date).
pub fn place(index: &HashMap<String, usize>, lineage: &str) -> Option<usize> {
    lineage
        .split('/')
        .filter(|s| !s.is_empty())
        .rev()
        .find_map(|id| index.get(id).copied())
}

/// Rolls the figures up the tree: deepest first, each node into its
/// parent.
pub fn roll_up(nodes: &mut [Node], index: &HashMap<String, usize>) {
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(nodes[i].depth));
    for i in order {
        if let Some(p) = nodes[i].parent.as_ref().and_then(|p| index.get(p)).copied() {
            let child = std::mem::take(&mut nodes[i]);
            nodes[p].add(&child);
            nodes[i] = child;
        }
    }
}

/// The rows a breakdown shows under the node at `path` and `depth`.
pub fn breakdown<'a>(
    nodes: &'a [Node],
    path: &str,
    depth: i64,
    kind: ProgressBreakdown,
) -> Vec<&'a Node> {
    nodes
        .iter()
        .filter(|n| {
            n.path.starts_with(path)
                && match kind {
                    ProgressBreakdown::None => false,
                    ProgressBreakdown::Unspecified | ProgressBreakdown::Children => {
                        n.depth == depth + 1
                    }
                    ProgressBreakdown::Subtree => n.depth > depth,
                }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, parent: Option<&str>, path: &str, depth: i64) -> Node {
        Node {
            id: id.into(),
            parent: parent.map(str::to_string),
            path: path.into(),
            depth,
            ..Node::default()
        }
    }

    fn tree() -> Vec<Node> {
        let mut nodes = vec![
            node("p", None, "/p/", 0),
            node("d", Some("p"), "/p/d/", 1),
            node("c1", Some("d"), "/p/d/c1/", 2),
            node("c2", Some("d"), "/p/d/c2/", 2),
        ];
        nodes[2].eligible = 5;
        nodes[2].attended = 3;
        nodes[3].eligible = 4;
        nodes[3].attended = 2;
        nodes
    }

    #[test]
    fn a_parent_is_the_sum_of_its_children() {
        let mut nodes = tree();
        let index = index(&nodes);
        roll_up(&mut nodes, &index);
        assert_eq!((nodes[1].attended, nodes[1].eligible), (5, 9));
        assert_eq!((nodes[0].attended, nodes[0].eligible), (5, 9));
        assert_eq!(nodes[2].eligible, 5, "children keep their own figures");
    }

    #[test]
    fn a_named_non_member_counts_once_per_subtree() {
        let mut nodes = tree();
        nodes[2].identities.insert("072000000001".into());
        nodes[3].identities.insert("072000000001".into());
        nodes[3].head_count = 20;
        let index = index(&nodes);
        roll_up(&mut nodes, &index);
        assert_eq!(nodes[0].non_members(), 21);
    }

    #[test]
    fn a_class_counts_under_its_nearest_organisation_in_the_tree() {
        let index = index(&tree());
        assert_eq!(place(&index, "/p/d/c1/"), Some(2));
        assert_eq!(
            place(&index, "/p/d/new/"),
            Some(1),
            "set up after the reference date"
        );
        assert_eq!(place(&index, "/other/"), None);
    }

    #[test]
    fn a_breakdown_shows_children_or_the_subtree() {
        let nodes = tree();
        let ids = |kind| -> Vec<String> {
            breakdown(&nodes, "/p/", 0, kind)
                .into_iter()
                .map(|n| n.id.clone())
                .collect()
        };
        assert_eq!(ids(ProgressBreakdown::Children), vec!["d"]);
        assert_eq!(ids(ProgressBreakdown::Subtree), vec!["d", "c1", "c2"]);
        assert!(ids(ProgressBreakdown::None).is_empty());
    }
}
