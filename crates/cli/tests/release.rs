//! What a release publishes: template.yaml's Serverless Application Repository metadata agrees
//! with the workspace (version, licence, source URL), names files that exist, keeps to the
//! repository's documented limits, and builds the requests `sam publish` sends, through the
//! SAM CLI's own code from the .venv.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn application() -> Value {
    let text = std::fs::read_to_string(workspace().join("template.yaml")).expect("template.yaml");
    let template = gradual_yaml::parse(&text)
        .expect("template.yaml parses")
        .value;
    template["Metadata"]["AWS::ServerlessRepo::Application"].clone()
}

#[test]
fn the_sar_metadata_follows_the_workspace() {
    let app = application();
    assert_eq!(app["SemanticVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(app["SpdxLicenseId"], env!("CARGO_PKG_LICENSE"));
    assert_eq!(app["SourceCodeUrl"], env!("CARGO_PKG_REPOSITORY"));
    for key in ["LicenseUrl", "ReadmeUrl"] {
        let file = app[key]
            .as_str()
            .expect("a local file, uploaded by sam package");
        assert!(workspace().join(file).is_file(), "{key}: no file {file}");
    }
    let license = std::fs::read_to_string(workspace().join("LICENSE")).expect("LICENSE");
    assert!(license.contains("Apache License") && license.contains("Version 2.0"));
}

#[test]
fn sam_publish_builds_its_requests_from_the_metadata() {
    let check = r#"
import json, re, sys
from samcli.vendor.serverlessrepo.parser import get_app_metadata, parse_template
from samcli.vendor.serverlessrepo.publish import (
    _create_application_request, _create_application_version_request)

template = parse_template(open(sys.argv[1]).read())
metadata = get_app_metadata(template)
create = _create_application_request(metadata, "{}")
version = _create_application_version_request(metadata, "arn:aws:serverlessrepo:us-east-1:123456789012:applications/gradual", "{}")
problems = []
# The limits of SAR's CreateApplication, as the SAM metadata documentation states them.
def check(key, ok):
    if not ok(create.get(key)):
        problems.append(f"{key}: {create.get(key)!r}")
check("Name", lambda v: v and len(v) <= 140 and re.fullmatch(r"[a-zA-Z0-9\-]+", v))
check("Description", lambda v: v and len(v) <= 256)
check("Author", lambda v: v and len(v) <= 127 and re.fullmatch(r"[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?", v))
check("Labels", lambda v: v is None or (len(v) <= 10 and all(1 <= len(l) <= 127 and re.fullmatch(r"[a-zA-Z0-9+\-_:/@]+", l) for l in v)))
check("SemanticVersion", lambda v: v and re.fullmatch(r"\d+\.\d+\.\d+", v))
for key in ("HomePageUrl", "SourceCodeUrl"):
    check(key, lambda v: v and v.startswith("https://"))
if version.get("SemanticVersion") != create.get("SemanticVersion"):
    problems.append("version request without the SemanticVersion")
print("\n".join(problems))
sys.exit(1 if problems else 0)
"#;
    let python = workspace().join(".venv/bin/python");
    let output = Command::new(&python)
        .args(["-c", check])
        .arg(workspace().join("template.yaml"))
        .output()
        .expect("python from .venv runs (make venv)");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
