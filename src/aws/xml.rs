//! Reading the Query APIs' XML answers (EC2, RDS, IAM) with `roxmltree`: a child element by
//! name, its trimmed text.

use roxmltree::Node;

/// The first child element named `name`.
pub(crate) fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|child| child.has_tag_name(name))
}

/// The trimmed text of the first child element named `name`.
pub(crate) fn text<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(node, name)
        .and_then(|child| child.text())
        .map(str::trim)
}
