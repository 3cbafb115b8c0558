//! The CloudFormation short-form tags and the long-form keys they stand for.

/// `(tag suffix, long-form key)`. `Ref` and `Condition` have no `Fn::` prefix.
const INTRINSICS: &[(&str, &str)] = &[
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("GetAtt", "Fn::GetAtt"),
    ("Sub", "Fn::Sub"),
    ("If", "Fn::If"),
    ("Join", "Fn::Join"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("FindInMap", "Fn::FindInMap"),
    ("Base64", "Fn::Base64"),
    ("Cidr", "Fn::Cidr"),
    ("GetAZs", "Fn::GetAZs"),
    ("ImportValue", "Fn::ImportValue"),
    ("Equals", "Fn::Equals"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("Not", "Fn::Not"),
    ("Transform", "Fn::Transform"),
    ("Length", "Fn::Length"),
    ("ToJsonString", "Fn::ToJsonString"),
    // Rule-condition functions, valid in a template's `Rules` section.
    ("Contains", "Fn::Contains"),
    ("EachMemberEquals", "Fn::EachMemberEquals"),
    ("EachMemberIn", "Fn::EachMemberIn"),
    ("RefAll", "Fn::RefAll"),
    ("ValueOf", "Fn::ValueOf"),
    ("ValueOfAll", "Fn::ValueOfAll"),
];

pub(crate) const GET_ATT: &str = "Fn::GetAtt";

/// The long-form key for the tag `!<suffix>`.
pub(crate) fn long_key(tag_suffix: &str) -> Option<&'static str> {
    INTRINSICS
        .iter()
        .find(|(tag, _)| *tag == tag_suffix)
        .map(|(_, key)| *key)
}

/// The tag suffix that stands for the long-form key `key`.
pub(crate) fn short_tag(key: &str) -> Option<&'static str> {
    INTRINSICS
        .iter()
        .find(|(_, long)| *long == key)
        .map(|(tag, _)| *tag)
}
