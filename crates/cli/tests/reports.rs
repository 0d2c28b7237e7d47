//! `probity report` against `probity up`, as a committee's staff runs it:
//! the sample organisations imported, the district's report issued and
//! written out, listed, checked again, rendered as CSV, submitted to the
//! province (late: its period ended long ago), the province's units
//! listed, and the consistency check run — each through the command and
//! its exit status.

use std::{
    collections::HashMap,
    path::Path,
    process::{Command, Stdio},
};

mod common;

use common::PROBITY;
use probity_platform::client::with_token;
use probity_proto::probity::members::v1::{
    ListOrganizationsRequest, organization_service_client::OrganizationServiceClient,
};

/// Runs `probity report <args>` against `addr`; (succeeded, stdout).
fn report(addr: &str, data: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(PROBITY)
        .arg("report")
        .args(args)
        .args(["--addr", addr, "--data-dir", data.to_str().unwrap()])
        .env_remove("PROBITY_TOKEN")
        .stdin(Stdio::null())
        .output()
        .expect("run probity report");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    (out.status.success(), format!("{stdout}{stderr}"))
}

/// The names of the organisations of `addr` by code, read through the API.
async fn organizations(addr: &str, data: &Path) -> HashMap<String, String> {
    let token = std::fs::read_to_string(data.join("dev-token")).unwrap();
    let channel = with_token(
        tonic::transport::Channel::from_shared(addr.to_string())
            .unwrap()
            .connect_lazy(),
        token.trim(),
    )
    .unwrap();
    let mut orgs = OrganizationServiceClient::new(channel);
    let roots = orgs
        .list_organizations(ListOrganizationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .organizations;
    let mut out = HashMap::new();
    for root in roots {
        let tree = orgs
            .list_organizations(ListOrganizationsRequest {
                parent: root.name.clone(),
                include_subtree: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .organizations;
        out.insert(root.code, root.name);
        out.extend(tree.into_iter().map(|o| (o.code, o.name)));
    }
    out
}

#[tokio::test]
async fn a_report_is_issued_written_checked_and_submitted_from_the_command_line() {
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let (_server, addr) = common::up(&data).await;
    let sheet = parent.path().join("organizations.csv");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/organizations.csv"),
        &sheet,
    )
    .unwrap();
    let imported = Command::new(PROBITY)
        .args(["import", "organizations"])
        .arg(&sheet)
        .args(["--addr", &addr, "--data-dir", data.to_str().unwrap()])
        .env_remove("PROBITY_TOKEN")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&imported.stdout).into_owned();
    assert!(imported.status.success(), "{log}");
    let orgs = organizations(&addr, &data).await;
    let district = orgs["HU-MAU"].clone();

    let out = parent.path().join("out");
    let (ok, issued) = report(
        &addr,
        &data,
        &[
            "issue",
            "--organization",
            &district,
            "--from",
            "2016-06-30",
            "--to",
            "2021-03-31",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(ok, "{issued}");
    let name = issued
        .split_whitespace()
        .find(|w| w.starts_with("reports/"))
        .unwrap()
        .to_string();
    for file in ["report.vi.html", "report.en.html", "report.csv"] {
        assert!(out.join(file).exists(), "{file} written: {issued}");
    }
    let vi = std::fs::read_to_string(out.join("report.vi.html")).unwrap();
    assert!(vi.contains("30/06/2016") && vi.contains("Đảng bộ huyện Hòa Bình"));

    let (ok, listed) = report(&addr, &data, &["list"]);
    assert!(ok && listed.contains(&name), "{listed}");
    let (ok, verified) = report(&addr, &data, &["verify", &name]);
    assert!(ok, "{verified}");
    assert!(verified.contains("0 changed or gone"), "{verified}");
    let csv = parent.path().join("r.csv");
    let (ok, rendered) = report(
        &addr,
        &data,
        &[
            "render",
            &name,
            "--format",
            "csv",
            "--out",
            csv.to_str().unwrap(),
        ],
    );
    assert!(ok, "{rendered}");
    assert!(
        std::fs::read_to_string(&csv)
            .unwrap()
            .starts_with("section,key,")
    );
    let (ok, refused) = report(&addr, &data, &["render", &name, "--format", "doc"]);
    assert!(!ok && refused.contains("html, csv or pdf"), "{refused}");

    let (ok, submitted) = report(&addr, &data, &["submit", &name]);
    assert!(ok, "{submitted}");
    assert!(submitted.contains("due 2021-04-15, LATE"), "{submitted}");
    let province = orgs["TU-MAU"].clone();
    let (ok, units) = report(
        &addr,
        &data,
        &[
            "submissions",
            "--organization",
            &province,
            "--from",
            "2016-06-30",
            "--to",
            "2021-03-31",
        ],
    );
    assert!(ok, "{units}");
    assert!(
        units
            .lines()
            .any(|l| l.starts_with(&district) && l.contains("\tlate\t")),
        "{units}"
    );
    let (ok, checked) = report(&addr, &data, &["check", "--organization", &province]);
    assert!(ok, "{checked}");
    assert!(checked.contains("0 mismatches"), "{checked}");
}
