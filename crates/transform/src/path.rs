//! Structured locations inside a template.

use std::fmt;

/// One step into a JSON document.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// Where in the template a value lives, e.g. `Resources.Api.Properties.AutoPublishAlias`.
///
/// Kept as segments and rendered only at the edge, because keys under `Metadata`, `Tags` or
/// `Mappings` may contain `.` or `/`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TemplatePath {
    segments: Vec<Segment>,
}

impl TemplatePath {
    /// The document root.
    pub fn root() -> Self {
        Self::default()
    }

    /// `Resources.<logical_id>`.
    pub fn resource(logical_id: &str) -> Self {
        Self {
            segments: vec![
                Segment::Key("Resources".to_owned()),
                Segment::Key(logical_id.to_owned()),
            ],
        }
    }

    /// A deeper path through an object key.
    #[must_use]
    pub fn key(&self, key: &str) -> Self {
        self.with(Segment::Key(key.to_owned()))
    }

    /// A deeper path through an array index.
    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        self.with(Segment::Index(index))
    }

    /// This path and one more step, allocated once at its final length: a plain clone has no
    /// room for the push and would allocate again.
    fn with(&self, last: Segment) -> Self {
        let mut segments = Vec::with_capacity(self.segments.len() + 1);
        segments.extend_from_slice(&self.segments);
        segments.push(last);
        Self { segments }
    }

    /// Whether this path is `prefix` or lies inside it.
    pub fn starts_with(&self, prefix: &TemplatePath) -> bool {
        self.segments.starts_with(&prefix.segments)
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// RFC 6901 pointer, usable with `serde_json::Value::pointer` and the YAML location map.
    pub fn to_json_pointer(&self) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            out.push('/');
            match segment {
                Segment::Key(key) => out.push_str(&key.replace('~', "~0").replace('/', "~1")),
                Segment::Index(index) => out.push_str(&index.to_string()),
            }
        }
        out
    }
}

impl fmt::Display for TemplatePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segments.is_empty() {
            return f.write_str("<template>");
        }
        for (position, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) => {
                    if position > 0 {
                        f.write_str(".")?;
                    }
                    let plain = !key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':'));
                    if plain {
                        f.write_str(key)?;
                    } else {
                        write!(f, "{key:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A place reached while walking a document, kept on the stack: building a [`TemplatePath`]
/// at every node would allocate for each one, and a path is only needed for an error.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Crumb<'a> {
    At(&'a TemplatePath),
    /// `Resources.<logical_id>`, without building it.
    Resource(&'a str),
    Key(&'a Crumb<'a>, &'a str),
    Index(&'a Crumb<'a>, usize),
}

impl<'a> Crumb<'a> {
    pub(crate) fn key(&'a self, key: &'a str) -> Crumb<'a> {
        Crumb::Key(self, key)
    }

    pub(crate) fn index(&'a self, index: usize) -> Crumb<'a> {
        Crumb::Index(self, index)
    }

    pub(crate) fn to_path(self) -> TemplatePath {
        match self {
            Crumb::At(path) => path.clone(),
            Crumb::Resource(logical_id) => TemplatePath::resource(logical_id),
            Crumb::Key(parent, key) => parent.to_path().key(key),
            Crumb::Index(parent, index) => parent.to_path().index(index),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_dotted_and_pointer_forms() {
        let path = TemplatePath::resource("Api")
            .key("Properties")
            .key("Tags")
            .index(0)
            .key("a.b/c");
        assert_eq!(
            path.to_string(),
            r#"Resources.Api.Properties.Tags[0]."a.b/c""#
        );
        assert_eq!(
            path.to_json_pointer(),
            "/Resources/Api/Properties/Tags/0/a.b~1c"
        );
        assert_eq!(TemplatePath::root().to_string(), "<template>");
    }
}
