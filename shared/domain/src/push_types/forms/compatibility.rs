//! THE compatibility matrix (SPEC §3): which MyCase field type a question type may be
//! mapped to. The one source for the dropdown ("compatible fields"), for refusing a
//! save, and for which conversion runs at push time ([`super::convert`]).

use super::field::FieldType;
use super::question::QuestionType;

/// What must hold, answer by answer, for a `~` cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The text (joined, or on one line) must fit a short-text field.
    FitsShortText,
    /// Yes/no must match a list option named "Yes" / "No".
    MatchingOption,
}

/// One cell of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compatibility {
    /// ✓: always offered; every well-formed answer converts.
    Always,
    /// ~: offered; each answer is checked and reported when it does not fit.
    Checked(Check),
    /// ✗: never offered; a save is refused.
    Never,
}

impl Compatibility {
    pub fn is_allowed(self) -> bool {
        !matches!(self, Compatibility::Never)
    }
}

const Y: Compatibility = Compatibility::Always;
const N: Compatibility = Compatibility::Never;
const LEN: Compatibility = Compatibility::Checked(Check::FitsShortText);
const OPT: Compatibility = Compatibility::Checked(Check::MatchingOption);

/// Rows in [`QuestionType::ALL`] order, columns in [`FieldType::ALL`] order.
#[rustfmt::skip]
const MATRIX: [[Compatibility; 7]; 12] = [
    //                   short  long  numeric currency date  boolean list
    /* short_text      */ [Y,   Y,    N,      N,       N,    N,      N  ],
    /* long_text       */ [LEN, Y,    N,      N,       N,    N,      N  ],
    /* number          */ [Y,   Y,    Y,      Y,       N,    N,      N  ],
    /* date            */ [Y,   Y,    N,      N,       Y,    N,      N  ],
    /* yes_no          */ [Y,   Y,    N,      N,       N,    Y,      OPT],
    /* single_choice   */ [Y,   Y,    N,      N,       N,    N,      Y  ],
    /* multiple_choice */ [LEN, Y,    N,      N,       N,    N,      N  ],
    /* email           */ [Y,   Y,    N,      N,       N,    N,      N  ],
    /* phone           */ [Y,   Y,    N,      N,       N,    N,      N  ],
    /* address         */ [LEN, Y,    N,      N,       N,    N,      N  ],
    /* file_upload     */ [N,   N,    N,      N,       N,    N,      N  ],
    /* signature       */ [N,   N,    N,      N,       N,    N,      N  ],
];

/// The cell for a question type and a field type.
pub fn compatibility(question: QuestionType, field: FieldType) -> Compatibility {
    let row = QuestionType::ALL
        .iter()
        .position(|q| *q == question)
        .expect("every question type has a row");
    let col = FieldType::ALL
        .iter()
        .position(|f| *f == field)
        .expect("every field type has a column");
    MATRIX[row][col]
}

/// The field types a question type may be mapped to, in MyCase's order.
pub fn compatible_field_types(question: QuestionType) -> Vec<FieldType> {
    FieldType::ALL
        .into_iter()
        .filter(|f| compatibility(question, *f).is_allowed())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use FieldType as F;
    use QuestionType as Q;

    /// The SPEC's table, written out cell by cell (✓ `Y`, ~ `C`, ✗ `N`), independently
    /// of `MATRIX`, so a slip in either shows up here.
    #[test]
    fn every_cell_matches_the_spec() {
        let spec: &[(Q, F, char)] = &[
            (Q::ShortText, F::ShortText, 'Y'),
            (Q::ShortText, F::LongText, 'Y'),
            (Q::ShortText, F::Numeric, 'N'),
            (Q::ShortText, F::Currency, 'N'),
            (Q::ShortText, F::Date, 'N'),
            (Q::ShortText, F::Boolean, 'N'),
            (Q::ShortText, F::List, 'N'),
            (Q::LongText, F::ShortText, 'C'),
            (Q::LongText, F::LongText, 'Y'),
            (Q::LongText, F::Numeric, 'N'),
            (Q::LongText, F::Currency, 'N'),
            (Q::LongText, F::Date, 'N'),
            (Q::LongText, F::Boolean, 'N'),
            (Q::LongText, F::List, 'N'),
            (Q::Number, F::ShortText, 'Y'),
            (Q::Number, F::LongText, 'Y'),
            (Q::Number, F::Numeric, 'Y'),
            (Q::Number, F::Currency, 'Y'),
            (Q::Number, F::Date, 'N'),
            (Q::Number, F::Boolean, 'N'),
            (Q::Number, F::List, 'N'),
            (Q::Date, F::ShortText, 'Y'),
            (Q::Date, F::LongText, 'Y'),
            (Q::Date, F::Numeric, 'N'),
            (Q::Date, F::Currency, 'N'),
            (Q::Date, F::Date, 'Y'),
            (Q::Date, F::Boolean, 'N'),
            (Q::Date, F::List, 'N'),
            (Q::YesNo, F::ShortText, 'Y'),
            (Q::YesNo, F::LongText, 'Y'),
            (Q::YesNo, F::Numeric, 'N'),
            (Q::YesNo, F::Currency, 'N'),
            (Q::YesNo, F::Date, 'N'),
            (Q::YesNo, F::Boolean, 'Y'),
            (Q::YesNo, F::List, 'C'),
            (Q::SingleChoice, F::ShortText, 'Y'),
            (Q::SingleChoice, F::LongText, 'Y'),
            (Q::SingleChoice, F::Numeric, 'N'),
            (Q::SingleChoice, F::Currency, 'N'),
            (Q::SingleChoice, F::Date, 'N'),
            (Q::SingleChoice, F::Boolean, 'N'),
            (Q::SingleChoice, F::List, 'Y'),
            (Q::MultipleChoice, F::ShortText, 'C'),
            (Q::MultipleChoice, F::LongText, 'Y'),
            (Q::MultipleChoice, F::Numeric, 'N'),
            (Q::MultipleChoice, F::Currency, 'N'),
            (Q::MultipleChoice, F::Date, 'N'),
            (Q::MultipleChoice, F::Boolean, 'N'),
            (Q::MultipleChoice, F::List, 'N'),
            (Q::Email, F::ShortText, 'Y'),
            (Q::Email, F::LongText, 'Y'),
            (Q::Email, F::Numeric, 'N'),
            (Q::Email, F::Currency, 'N'),
            (Q::Email, F::Date, 'N'),
            (Q::Email, F::Boolean, 'N'),
            (Q::Email, F::List, 'N'),
            (Q::Phone, F::ShortText, 'Y'),
            (Q::Phone, F::LongText, 'Y'),
            (Q::Phone, F::Numeric, 'N'),
            (Q::Phone, F::Currency, 'N'),
            (Q::Phone, F::Date, 'N'),
            (Q::Phone, F::Boolean, 'N'),
            (Q::Phone, F::List, 'N'),
            (Q::Address, F::ShortText, 'C'),
            (Q::Address, F::LongText, 'Y'),
            (Q::Address, F::Numeric, 'N'),
            (Q::Address, F::Currency, 'N'),
            (Q::Address, F::Date, 'N'),
            (Q::Address, F::Boolean, 'N'),
            (Q::Address, F::List, 'N'),
        ];
        let mut checked = 0;
        for (q, f, want) in spec {
            let got = match compatibility(*q, *f) {
                Compatibility::Always => 'Y',
                Compatibility::Checked(_) => 'C',
                Compatibility::Never => 'N',
            };
            assert_eq!(got, *want, "{q} → {f}");
            checked += 1;
        }
        for q in [Q::FileUpload, Q::Signature] {
            for f in FieldType::ALL {
                assert_eq!(compatibility(q, f), Compatibility::Never, "{q} → {f}");
                checked += 1;
            }
        }
        assert_eq!(checked, 12 * 7, "all 84 cells");
    }

    #[test]
    fn the_checks_say_what_is_checked() {
        assert_eq!(
            compatibility(Q::YesNo, F::List),
            Compatibility::Checked(Check::MatchingOption)
        );
        for q in [Q::LongText, Q::MultipleChoice, Q::Address] {
            assert_eq!(
                compatibility(q, F::ShortText),
                Compatibility::Checked(Check::FitsShortText)
            );
        }
    }

    #[test]
    fn compatible_field_types_follow_the_rows() {
        assert_eq!(
            compatible_field_types(Q::Number),
            vec![F::ShortText, F::LongText, F::Numeric, F::Currency]
        );
        assert_eq!(
            compatible_field_types(Q::YesNo),
            vec![F::ShortText, F::LongText, F::Boolean, F::List]
        );
        assert!(compatible_field_types(Q::Signature).is_empty());
    }
}
