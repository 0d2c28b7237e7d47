//! The members sheet: its columns, each row as a create request, and which
//! rows a re-run skips because the member is already recorded. Pure: the
//! server's own checks run when the rows are sent ([`crate::send`]).

use std::collections::HashMap;

use probity_platform::text::fold;
use probity_proto::probity::members::v1::{CreateMemberRequest, Gender, Member, MemberStatus};

use crate::columns::{Column, Columns, choice, date, optional_date};
use crate::report::RowError;
use crate::table::{Row, Table};

/// The columns of a members sheet.
pub const COLUMNS: &[Column] = &[
    Column {
        key: "full_name",
        aliases: &["ho va ten", "ho ten", "name"],
        required: true,
        field: "member.full_name",
    },
    Column {
        key: "date_of_birth",
        aliases: &["ngay sinh", "birth date"],
        required: true,
        field: "member.date_of_birth",
    },
    Column {
        key: "gender",
        aliases: &["gioi tinh"],
        required: false,
        field: "member.gender",
    },
    Column {
        key: "party_card_number",
        aliases: &["so the dang vien", "so the", "card number"],
        required: true,
        field: "member.party_card_number",
    },
    Column {
        key: "organization_code",
        aliases: &["ma to chuc", "ma chi bo", "organisation code"],
        required: true,
        field: "member.organization",
    },
    Column {
        key: "admission_date",
        aliases: &["ngay ket nap"],
        required: true,
        field: "member.admission_date",
    },
    Column {
        key: "official_date",
        aliases: &["ngay chinh thuc"],
        required: false,
        field: "official_date",
    },
    Column {
        key: "position",
        aliases: &["chuc vu", "head position"],
        required: false,
        field: "member.head_position",
    },
    Column {
        key: "status",
        aliases: &["tinh trang", "trang thai"],
        required: false,
        field: "",
    },
];

const GENDERS: &[(&[&str], Gender)] = &[
    (&["nam", "male", "m"], Gender::Male),
    (&["nu", "female", "f"], Gender::Female),
];

const STATUSES: &[(&[&str], MemberStatus)] = &[
    (&["du bi", "probationary"], MemberStatus::Probationary),
    (&["chinh thuc", "official"], MemberStatus::Official),
];

/// A row read as a create request.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRow {
    /// The row's number in the sheet.
    pub line: usize,
    /// The organisation's code as the sheet writes it.
    pub organization_code: String,
    /// The request; `member.organization` is filled in once the code is
    /// resolved.
    pub request: CreateMemberRequest,
}

/// Reads every row of `table`; rows that cannot be read are errors.
pub fn parse(table: &Table, columns: &Columns) -> (Vec<MemberRow>, Vec<RowError>) {
    let mut rows = Vec::with_capacity(table.rows.len());
    let mut errors = Vec::new();
    for row in &table.rows {
        match parse_row(row, columns) {
            Ok(r) => rows.push(r),
            Err(mut e) => errors.append(&mut e),
        }
    }
    (rows, errors)
}

fn parse_row(row: &Row, columns: &Columns) -> Result<MemberRow, Vec<RowError>> {
    let mut errors = Vec::new();
    let cell = |key: &'static str| columns.cell(row, key);
    let mut dated = |key: &'static str, optional: bool| {
        let parsed = if optional {
            optional_date(cell(key))
        } else if cell(key).is_empty() {
            Err("required".to_string())
        } else {
            date(cell(key)).map(Some)
        };
        parsed
            .map_err(|reason| errors.push(columns.error(row, key, reason)))
            .ok()
            .flatten()
    };
    let date_of_birth = dated("date_of_birth", false);
    let admission_date = dated("admission_date", false);
    let official_date = dated("official_date", true);
    let gender = match cell("gender") {
        "" => Gender::Unspecified,
        text => choice(text, GENDERS, "gender")
            .map_err(|reason| errors.push(columns.error(row, "gender", reason)))
            .unwrap_or(Gender::Unspecified),
    };
    match cell("status") {
        "" => {}
        text => match choice(text, STATUSES, "status a member is imported with") {
            Ok(MemberStatus::Official) if official_date.is_none() => errors.push(columns.error(
                row,
                "official_date",
                "an official member needs the date made official",
            )),
            Ok(MemberStatus::Probationary) if official_date.is_some() => {
                errors.push(columns.error(
                    row,
                    "status",
                    "a probationary member has no official date",
                ))
            }
            Ok(_) => {}
            Err(reason) => errors.push(columns.error(
                row,
                "status",
                format!(
                    "{reason} (import members as they were admitted; record a later exemption, transfer or removal with RecordMemberEvent)"
                ),
            )),
        },
    }
    if cell("organization_code").is_empty() {
        errors.push(columns.error(row, "organization_code", "required"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(MemberRow {
        line: row.line,
        organization_code: cell("organization_code").to_string(),
        request: CreateMemberRequest {
            member: Some(Member {
                party_card_number: cell("party_card_number").to_string(),
                full_name: cell("full_name").to_string(),
                date_of_birth,
                gender: gender as i32,
                admission_date,
                head_position: cell("position").to_string(),
                ..Default::default()
            }),
            official_date,
            request_id: String::new(),
        },
    })
}

/// A member already recorded, as a re-run compares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// `members/{id}`.
    pub name: String,
    /// Full name, as stored.
    pub full_name: String,
    /// Date of birth.
    pub date_of_birth: Option<probity_proto::google::r#type::Date>,
}

/// What a run does with the rows: those to send, how many are already
/// recorded (skipped), and the rows refused.
#[derive(Debug, Default)]
pub struct Plan {
    /// Rows to create.
    pub send: Vec<MemberRow>,
    /// Rows whose member is already recorded (same card, name and birth).
    pub skipped: usize,
    /// Rows refused before sending.
    pub errors: Vec<RowError>,
}

/// Splits `rows` by `recorded` (members the caller can see, by normalised
/// card number): a row whose card is recorded for the same person (name
/// without case or diacritics, date of birth) is skipped — so a re-run
/// creates nothing twice; one recorded for someone else is an error, as is
/// a card a previous row of the file already has.
pub fn plan(rows: Vec<MemberRow>, recorded: &HashMap<String, Recorded>, columns: &Columns) -> Plan {
    let mut plan = Plan::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let card_heading = columns.heading("party_card_number");
    for row in rows {
        let member = row
            .request
            .member
            .as_ref()
            .expect("parsed rows have a member");
        let Some(card) = probity_members::normalize_card(&member.party_card_number) else {
            plan.send.push(row); // the server names what is wrong with it
            continue;
        };
        if let Some(first) = seen.insert(card.clone(), row.line) {
            plan.errors.push(RowError {
                line: row.line,
                column: card_heading.clone(),
                reason: format!("row {first} has the same party card number"),
            });
            continue;
        }
        match recorded.get(&card) {
            None => plan.send.push(row),
            Some(r)
                if fold(&r.full_name) == fold(&member.full_name)
                    && r.date_of_birth == member.date_of_birth =>
            {
                plan.skipped += 1
            }
            Some(r) => plan.errors.push(RowError {
                line: row.line,
                column: card_heading.clone(),
                reason: format!(
                    "party card number {card} is recorded for {} ({}), with another name or date of birth",
                    r.name, r.full_name
                ),
            }),
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[&str]) -> Table {
        let mut text = String::from(
            "Họ và tên,Ngày sinh,Giới tính,Số thẻ đảng viên,Mã tổ chức,Ngày kết nạp,Ngày chính thức,Chức vụ,Tình trạng\n",
        );
        for r in rows {
            text.push_str(r);
            text.push('\n');
        }
        crate::table::read_csv(text.as_bytes()).unwrap()
    }

    #[test]
    fn rows_become_requests_and_bad_cells_are_named_by_row_and_heading() {
        let t = table(&[
            "Nguyễn Văn An,02/01/1980,Nam,10.000.001,CB-01,15/05/2005,15/05/2006,Bí thư chi bộ,chính thức",
            "Lê Thị Hoa,31/02/1985,x,10000002,,2010-01-01,,,đã từ trần",
            "Trần Văn Bình,1990-03-04,,10000003,CB-01,2015-01-01,,,chính thức",
        ]);
        let columns = Columns::find(&t, COLUMNS).unwrap();
        let (rows, errors) = parse(&t, &columns);
        assert_eq!(rows.len(), 1);
        let m = rows[0].request.member.as_ref().unwrap();
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].organization_code, "CB-01");
        assert_eq!(m.gender, Gender::Male as i32);
        assert_eq!(m.head_position, "Bí thư chi bộ");
        assert_eq!(rows[0].request.official_date.unwrap().year, 2006);
        let named: Vec<(usize, &str)> =
            errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(
            named,
            [
                (3, "Ngày sinh"),
                (3, "Giới tính"),
                (3, "Tình trạng"),
                (3, "Mã tổ chức"),
                (4, "Ngày chính thức")
            ]
        );
        assert!(errors[2].reason.contains("RecordMemberEvent"), "{errors:?}");
    }

    #[test]
    fn a_rerun_skips_recorded_members_and_refuses_another_persons_card() {
        let t = table(&[
            "Nguyễn Văn An,02/01/1980,,10.000.001,CB,15/05/2005,,,",
            "Nguyen Van Binh,02/01/1980,,10000002,CB,15/05/2005,,,",
            "Phạm Thu,02/01/1981,,10000003,CB,15/05/2005,,,",
            "Phạm Thu Hà,02/01/1981,,10000003,CB,15/05/2005,,,",
        ]);
        let columns = Columns::find(&t, COLUMNS).unwrap();
        let (rows, _) = parse(&t, &columns);
        let dob = rows[0].request.member.as_ref().unwrap().date_of_birth;
        let recorded = HashMap::from([
            (
                "10000001".to_string(),
                Recorded {
                    name: "members/a".into(),
                    full_name: "NGUYỄN VĂN AN".into(),
                    date_of_birth: dob,
                },
            ),
            (
                "10000002".to_string(),
                Recorded {
                    name: "members/b".into(),
                    full_name: "Nguyễn Văn Cường".into(),
                    date_of_birth: dob,
                },
            ),
        ]);
        let plan = plan(rows, &recorded, &columns);
        assert_eq!(plan.skipped, 1);
        assert_eq!(plan.send.len(), 1);
        assert_eq!(plan.send[0].line, 4);
        assert_eq!(plan.errors.len(), 2);
        assert!(plan.errors[0].reason.contains("members/b"));
        assert_eq!(plan.errors[1].line, 5);
        assert!(plan.errors[1].reason.contains("row 4"));
    }
}
