//! `probity import` as a clerk runs it against `probity up`: the sample
//! sheets of `examples/` (CSV and XLSX, English and Vietnamese headings),
//! a dry run that creates nothing, a re-run that skips what is recorded,
//! and a sheet with bad rows whose reasons land in the error report —
//! each outcome checked through the API, not only the command's words.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

mod common;

use common::PROBITY;

use probity_platform::client::with_token;
use probity_proto::probity::members::v1::{
    ListMembersRequest, ListOrganizationsRequest, MemberStatus,
    member_service_client::MemberServiceClient,
    organization_service_client::OrganizationServiceClient,
};

/// A copy of `examples/<name>` in `dir` (the error report goes next to it).
fn example(dir: &Path, name: &str) -> PathBuf {
    let copy = dir.join(name);
    if !copy.exists() {
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(name);
        std::fs::copy(source, &copy).unwrap();
    }
    copy
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn import(addr: &str, data: &Path, what: &str, file: &Path, extra: &[&str]) -> Run {
    let out = Command::new(PROBITY)
        .args(["import", what])
        .arg(file)
        .args(["--addr", addr, "--data-dir", data.to_str().unwrap()])
        .args(extra)
        .env_remove("PROBITY_TOKEN")
        .stdin(Stdio::null())
        .output()
        .expect("run probity import");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test]
async fn sample_sheets_import_once_and_bad_rows_are_reported_by_row_and_column() {
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let (_server, addr) = common::up(&data).await;
    let token = std::fs::read_to_string(data.join("dev-token")).unwrap();
    let channel = with_token(
        tonic::transport::Channel::from_shared(addr.clone())
            .unwrap()
            .connect_lazy(),
        token.trim(),
    )
    .unwrap();
    let mut orgs = OrganizationServiceClient::new(channel.clone());
    let members = MemberServiceClient::new(channel);

    // Organisations: children listed before their parent still go under it.
    let run = import(
        &addr,
        &data,
        "organizations",
        &example(parent.path(), "organizations.csv"),
        &[],
    );
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("5 rows; 5 organisations created"),
        "{}",
        run.stdout
    );
    let roots = orgs
        .list_organizations(ListOrganizationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .organizations;
    let province = roots.iter().find(|o| o.code == "TU-MAU").expect("province");
    let tree = orgs
        .list_organizations(ListOrganizationsRequest {
            parent: province.name.clone(),
            include_subtree: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .organizations;
    let by_code = |code: &str| tree.iter().find(|o| o.code == code).unwrap().clone();
    let cell_1 = by_code("CB-MAU-1");
    let cell_2 = by_code("CB-MAU-2");
    assert_eq!(cell_1.parent, by_code("CS-MAU-1").name);
    let again = import(
        &addr,
        &data,
        "organizations",
        &example(parent.path(), "organizations.csv"),
        &[],
    );
    assert!(
        again
            .stdout
            .contains("0 organisations created, 5 already recorded"),
        "{}",
        again.stdout
    );

    let count = |org: String, mut members: MemberServiceClient<_>| async move {
        members
            .list_members(ListMembersRequest {
                organization: org,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .members
    };

    // A dry run checks every row with the server and creates nothing.
    let run = import(
        &addr,
        &data,
        "members",
        &example(parent.path(), "members.csv"),
        &["--dry-run"],
    );
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("10 members would be created"),
        "{}",
        run.stdout
    );
    assert!(count(cell_1.name.clone(), members.clone()).await.is_empty());
    // Piped, the command draws no progress bar.
    assert!(!run.stderr.contains('#'), "{}", run.stderr);

    let run = import(
        &addr,
        &data,
        "members",
        &example(parent.path(), "members.csv"),
        &[],
    );
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("10 members created"), "{}", run.stdout);
    let run = import(
        &addr,
        &data,
        "members",
        &example(parent.path(), "members.xlsx"),
        &["--batch", "2"],
    );
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("5 members created"), "{}", run.stdout);
    let in_cell_1 = count(cell_1.name.clone(), members.clone()).await;
    let in_cell_2 = count(cell_2.name.clone(), members.clone()).await;
    assert_eq!((in_cell_1.len(), in_cell_2.len()), (8, 7));
    let an = in_cell_1
        .iter()
        .find(|m| m.party_card_number == "91000001")
        .expect("card dots removed");
    assert_eq!(an.full_name, "Nguyễn Văn An");
    assert_eq!(an.head_position, "Bí thư chi bộ");
    assert_eq!(an.status, MemberStatus::Official as i32);
    let son = in_cell_1
        .iter()
        .find(|m| m.party_card_number == "91000015")
        .expect("an XLSX numeric card");
    assert_eq!(son.status, MemberStatus::Probationary as i32);
    assert_eq!(son.date_of_birth.unwrap().year, 2000, "an XLSX date cell");

    // A re-run creates nothing twice.
    let run = import(
        &addr,
        &data,
        "members",
        &example(parent.path(), "members.csv"),
        &[],
    );
    assert!(run.ok);
    assert!(
        run.stdout
            .contains("0 members created, 10 already recorded (skipped), 0 refused"),
        "{}",
        run.stdout
    );
    assert_eq!(count(cell_1.name.clone(), members.clone()).await.len(), 8);

    // Bad rows: each is reported with its row and column; the good ones
    // go in; the command exits 1.
    let sheet = parent.path().join("đợt 2.csv");
    std::fs::write(
        &sheet,
        "Họ và tên;Ngày sinh;Số thẻ đảng viên;Mã tổ chức;Ngày kết nạp;Ngày chính thức\n\
         Mai Văn Tâm;01/02/1990;92000001;CB-MAU-1;01/02/2015;01/02/2016\n\
         Mai Văn Tú;31/02/1990;92000002;CB-MAU-1;01/02/2015;\n\
         Mai Văn Út;01/02/1990;92000003;KHONG-CO;01/02/2015;\n\
         Người Khác;01/02/1990;91.000.002;CB-MAU-1;01/02/2015;\n\
         Mai Văn Tâm Hai;01/02/1990;92000001;CB-MAU-1;01/02/2015;\n\
         Mai Văn Vũ;01/02/2015;92000004;CB-MAU-1;01/02/2016;\n\
         Mai Văn Xuân;01/02/1991;92000005;CB-MAU-2;01/02/2015;\n",
    )
    .unwrap();
    let run = import(&addr, &data, "members", &sheet, &[]);
    assert!(!run.ok, "rows were refused: exit 1");
    assert!(
        run.stdout
            .contains("7 rows; 2 members created, 0 already recorded (skipped), 5 refused"),
        "{}",
        run.stdout
    );
    let report = std::fs::read_to_string(parent.path().join("đợt 2.errors.csv")).unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines[0], "row,column,reason");
    assert!(lines[1].starts_with("3,Ngày sinh,"), "{report}");
    assert!(lines[2].starts_with("4,Mã tổ chức,"), "{report}");
    assert!(
        lines[3].starts_with("5,Số thẻ đảng viên,") && lines[3].contains("members/"),
        "{report}"
    );
    assert!(
        lines[4].starts_with("6,Số thẻ đảng viên,") && lines[4].contains("row 2"),
        "{report}"
    );
    // Refused by the server itself (admitted at one year old), named by
    // the column of the field it named.
    assert!(lines[5].starts_with("7,Ngày kết nạp,"), "{report}");
    assert_eq!(lines.len(), 6, "{report}");
    assert_eq!(count(cell_2.name.clone(), members.clone()).await.len(), 8);
    // Fixed and run again: the report goes away, nothing is duplicated.
    std::fs::write(
        &sheet,
        "Họ và tên;Ngày sinh;Số thẻ đảng viên;Mã tổ chức;Ngày kết nạp;Ngày chính thức\n\
         Mai Văn Tâm;01/02/1990;92000001;CB-MAU-1;01/02/2015;01/02/2016\n\
         Mai Văn Tú;28/02/1990;92000002;CB-MAU-1;01/02/2015;\n",
    )
    .unwrap();
    let run = import(&addr, &data, "members", &sheet, &[]);
    assert!(run.ok, "{}", run.stdout);
    assert!(
        run.stdout.contains("1 members created, 1 already recorded"),
        "{}",
        run.stdout
    );
    assert!(!parent.path().join("đợt 2.errors.csv").exists());
}
