//! Children's abnormal bands, by age at the measurement (and, for blood pressure, sex), from
//! birth to the adult age ([`crate::ADULT_FROM_AGE`]). NEWS2 stays adults-only: RCP (2017)
//! says it "should not be used in children (under 16)".
//!
//! Sources:
//! - Heart rate and respiratory rate: the APLS normal ranges (Advanced Life Support Group,
//!   *Advanced Paediatric Life Support*) by age, as tabulated in Fleming S, Thompson M, Stevens R
//!   et al., "Normal ranges of heart rate and respiratory rate in children from birth to 18
//!   years of age: a systematic review of observational studies", *Lancet* 2011;377:1011–18,
//!   web appendix, Web Box 1. A value outside the range is flagged. (Fleming's own centiles are
//!   wider; APLS is what UK and Australian paediatric units chart against.)
//! - Low systolic pressure: the PALS definition of hypotension (American Heart Association,
//!   *Pediatric Advanced Life Support*): term neonates (0–28 days) < 60 mmHg, infants (1–12
//!   months) < 70, children 1–10 years < 70 + 2 × age in years, 10 years and over < 90.
//! - High blood pressure: Flynn JT, Kaelber DC, Baker-Smith CM et al., "Clinical practice
//!   guideline for screening and management of high blood pressure in children and
//!   adolescents", *Pediatrics* 2017;140(3):e20171904, table 6, screening values requiring
//!   further evaluation, by age (1–12 years; 13 and over 120/80) and sex. The guideline has no
//!   table under 1 year, so an infant's pressure is only flagged low. For a sex other than
//!   female or male the lower value of the two is used, so nothing the table would flag is
//!   missed.
//! - SpO2, temperature, pain and consciousness: as [`crate::flag_bands_for_age`] says (SpO2
//!   below 92 %, BTS 2011; the rest as adults). A child's BMI is judged by BMI-for-age centiles
//!   (WHO growth standards), which medoffice does not hold: it is not flagged.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{AdministrativeSex, FlagBand, FlaggedField};

/// A patient's age on a day: whole years (birthdays passed) and days since birth, both on the
/// clinic's calendar. Bands change on birthdays, and a neonate's on day 29.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AgeAt {
    /// Whole years ([`crate::age_on`]); negative when the day is before the birth.
    pub years: i32,
    /// Days since the date of birth (0 on the day of birth).
    pub days: i32,
}

impl AgeAt {
    /// The age on `on` of someone born on `date_of_birth`.
    pub fn on(date_of_birth: NaiveDate, on: NaiveDate) -> Self {
        let days = (on - date_of_birth).num_days();
        Self {
            years: crate::age_on(date_of_birth, on),
            days: i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX }),
        }
    }

    /// A term neonate in the PALS sense: 28 days old or less.
    pub fn is_neonate(self) -> bool {
        self.days <= NEONATE_TO_DAY
    }
}

/// The last day of life (counted from 0) on which PALS calls a child a neonate.
pub const NEONATE_TO_DAY: i32 = 28;

/// A normal range (inclusive, per minute) from an age in whole years until the next row's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RateRange {
    /// First age (whole years) the range applies at.
    pub from_years: i32,
    /// Lowest normal value.
    pub low: i32,
    /// Highest normal value.
    pub high: i32,
}

const fn rate(from_years: i32, low: i32, high: i32) -> RateRange {
    RateRange {
        from_years,
        low,
        high,
    }
}

/// APLS normal heart rate, beats/min, by age (Fleming et al. 2011, Web Box 1): under 1 year
/// (neonates alike) 110–160, 1 year 100–150, 2–4 years 95–140, 5–11 years 80–120, 12 and
/// over 60–100.
pub const APLS_HEART_RATE: &[RateRange] = &[
    rate(0, 110, 160),
    rate(1, 100, 150),
    rate(2, 95, 140),
    rate(5, 80, 120),
    rate(12, 60, 100),
];

/// APLS normal respiratory rate, breaths/min, by age (Fleming et al. 2011, Web Box 1): under 1
/// year 30–40, 1 year 25–35, 2–4 years 25–30, 5–11 years 20–25, 12 and over 15–20.
pub const APLS_RESPIRATORY_RATE: &[RateRange] = &[
    rate(0, 30, 40),
    rate(1, 25, 35),
    rate(2, 25, 30),
    rate(5, 20, 25),
    rate(12, 15, 20),
];

/// One row of the AAP 2017 screening table: at `age_years` (the last row: that age and over),
/// systolic/diastolic mmHg at or above which a child's pressure needs further evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BpScreening {
    /// Age in whole years.
    pub age_years: i32,
    /// Boys: systolic, diastolic (mmHg).
    pub male: (i32, i32),
    /// Girls: systolic, diastolic (mmHg).
    pub female: (i32, i32),
}

const fn bp(age_years: i32, male: (i32, i32), female: (i32, i32)) -> BpScreening {
    BpScreening {
        age_years,
        male,
        female,
    }
}

/// Flynn et al., *Pediatrics* 2017, table 6 (screening BP values requiring further evaluation).
pub const AAP_2017_BP_SCREENING: &[BpScreening] = &[
    bp(1, (98, 52), (98, 54)),
    bp(2, (100, 55), (101, 58)),
    bp(3, (101, 58), (102, 60)),
    bp(4, (102, 60), (103, 62)),
    bp(5, (103, 63), (104, 64)),
    bp(6, (105, 66), (105, 67)),
    bp(7, (106, 68), (106, 68)),
    bp(8, (107, 69), (107, 69)),
    bp(9, (107, 70), (108, 71)),
    bp(10, (108, 72), (109, 72)),
    bp(11, (110, 74), (111, 74)),
    bp(12, (113, 75), (114, 75)),
    bp(13, (120, 80), (120, 80)),
];

/// The PALS hypotension threshold, mmHg: a systolic pressure below it is low.
pub fn pals_hypotension_below(age: AgeAt) -> i32 {
    match age.years {
        y if y < 1 && age.is_neonate() => 60,
        y if y < 1 => 70,
        y if y < 10 => 70 + 2 * y,
        _ => 90,
    }
}

/// The AAP screening values (systolic, diastolic) at `age` for `sex`, none under 1 year.
pub fn aap_bp_screening(age: AgeAt, sex: AdministrativeSex) -> Option<(i32, i32)> {
    let row = AAP_2017_BP_SCREENING
        .iter()
        .rev()
        .find(|r| age.years >= r.age_years)?;
    Some(match sex {
        AdministrativeSex::Male => row.male,
        AdministrativeSex::Female => row.female,
        AdministrativeSex::Other | AdministrativeSex::Unknown => {
            (row.male.0.min(row.female.0), row.male.1.min(row.female.1))
        }
    })
}

/// The APLS range of `table` at `age` (the youngest row below its first age).
fn range_at(table: &[RateRange], age: AgeAt) -> RateRange {
    table
        .iter()
        .rev()
        .find(|r| age.years >= r.from_years)
        .or(table.first())
        .copied()
        .expect("a non-empty table")
}

/// A band flagging values outside an inclusive normal range of whole numbers.
fn outside(field: FlaggedField, r: RateRange) -> FlagBand {
    FlagBand {
        field,
        low: Some(f64::from(r.low)),
        low_inclusive: false,
        high: Some(f64::from(r.high + 1)),
    }
}

/// The blood-pressure, heart-rate and respiratory-rate bands of a child of `age` and `sex`, in
/// the order flags are listed: systolic (low by PALS; high by AAP from 1 year), diastolic (high
/// by AAP from 1 year; none under 1), heart rate and respiratory rate (APLS).
pub fn paediatric_cardiorespiratory_bands(age: AgeAt, sex: AdministrativeSex) -> Vec<FlagBand> {
    let screening = aap_bp_screening(age, sex);
    let mut out = vec![FlagBand {
        field: FlaggedField::SystolicMmhg,
        low: Some(f64::from(pals_hypotension_below(age))),
        low_inclusive: false,
        high: screening.map(|(s, _)| f64::from(s)),
    }];
    if let Some((_, d)) = screening {
        out.push(FlagBand {
            field: FlaggedField::DiastolicMmhg,
            low: None,
            low_inclusive: false,
            high: Some(f64::from(d)),
        });
    }
    out.push(outside(
        FlaggedField::HeartRateBpm,
        range_at(APLS_HEART_RATE, age),
    ));
    out.push(outside(
        FlaggedField::RespiratoryRateBpm,
        range_at(APLS_RESPIRATORY_RATE, age),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Measurements, ADULT_FROM_AGE};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    /// The age on the day `years` birthdays (and `extra_days` more) after 1 March 2010.
    fn age(years: i32, extra_days: i64) -> AgeAt {
        let born = d(2010, 3, 1);
        let birthday = d(2010 + years, 3, 1);
        AgeAt::on(born, birthday + chrono::Duration::days(extra_days))
    }

    fn hr(v: i32) -> Measurements {
        Measurements {
            heart_rate_bpm: Some(v),
            ..Default::default()
        }
    }

    fn rr(v: i32) -> Measurements {
        Measurements {
            respiratory_rate_bpm: Some(v),
            ..Default::default()
        }
    }

    fn bp_set(s: i32, dia: i32) -> Measurements {
        Measurements {
            systolic_mmhg: Some(s),
            diastolic_mmhg: Some(dia),
            ..Default::default()
        }
    }

    fn flags(m: &Measurements, a: AgeAt, sex: AdministrativeSex) -> Vec<String> {
        m.flags_for_age(Some(a), sex)
    }

    const U: AdministrativeSex = AdministrativeSex::Unknown;

    #[test]
    fn age_counts_birthdays_and_days() {
        let born = d(2020, 2, 29);
        assert_eq!(AgeAt::on(born, born), AgeAt { years: 0, days: 0 });
        assert_eq!(AgeAt::on(born, d(2020, 3, 28)).days, 28);
        assert!(AgeAt::on(born, d(2020, 3, 28)).is_neonate());
        assert!(!AgeAt::on(born, d(2020, 3, 29)).is_neonate());
        assert_eq!(AgeAt::on(born, d(2021, 2, 28)).years, 0);
        assert_eq!(AgeAt::on(born, d(2021, 3, 1)).years, 1);
    }

    /// APLS heart rate (Fleming et al. 2011, Web Box 1), each row at its first and last day,
    /// each edge and one past it.
    #[test]
    fn heart_rate_follows_apls_at_each_band_edge() {
        let rows: [(i32, i32, i32, i32); 5] = [
            // (first year, last year, low, high)
            (0, 0, 110, 160),
            (1, 1, 100, 150),
            (2, 4, 95, 140),
            (5, 11, 80, 120),
            (12, ADULT_FROM_AGE - 1, 60, 100),
        ];
        for (first, last, low, high) in rows {
            for a in [age(first, 0), age(last + 1, -1)] {
                assert_eq!(flags(&hr(low), a, U), Vec::<String>::new(), "{a:?} {low}");
                assert_eq!(flags(&hr(high), a, U), Vec::<String>::new(), "{a:?} {high}");
                assert_eq!(flags(&hr(low - 1), a, U), vec!["heart_rate_bpm:low"]);
                assert_eq!(flags(&hr(high + 1), a, U), vec!["heart_rate_bpm:high"]);
            }
        }
        // the cases: a 2-year-old at 190, a 12-year-old at 112
        assert_eq!(flags(&hr(190), age(2, 30), U), vec!["heart_rate_bpm:high"]);
        assert_eq!(
            flags(&hr(112), age(12, 100), U),
            vec!["heart_rate_bpm:high"]
        );
    }

    /// APLS respiratory rate (Fleming et al. 2011, Web Box 1), each row at its edges.
    #[test]
    fn respiratory_rate_follows_apls_at_each_band_edge() {
        let rows: [(i32, i32, i32, i32); 5] = [
            (0, 0, 30, 40),
            (1, 1, 25, 35),
            (2, 4, 25, 30),
            (5, 11, 20, 25),
            (12, ADULT_FROM_AGE - 1, 15, 20),
        ];
        for (first, last, low, high) in rows {
            for a in [age(first, 0), age(last + 1, -1)] {
                assert!(flags(&rr(low), a, U).is_empty(), "{a:?} {low}");
                assert!(flags(&rr(high), a, U).is_empty(), "{a:?} {high}");
                assert_eq!(flags(&rr(low - 1), a, U), vec!["respiratory_rate_bpm:low"]);
                assert_eq!(
                    flags(&rr(high + 1), a, U),
                    vec!["respiratory_rate_bpm:high"]
                );
            }
        }
    }

    /// PALS hypotension: < 60 to day 28, < 70 to the first birthday, < 70 + 2 × years to 10,
    /// < 90 from 10.
    #[test]
    fn low_systolic_follows_pals_hypotension() {
        let cases = [
            (age(0, 0), 60),
            (age(0, 28), 60),
            (age(0, 29), 70),
            (age(1, -1), 70),
            (age(1, 0), 72),
            (age(5, 0), 80),
            (age(10, -1), 88),
            (age(10, 0), 90),
            (age(ADULT_FROM_AGE, -1), 90),
        ];
        for (a, below) in cases {
            assert_eq!(pals_hypotension_below(a), below, "{a:?}");
            let s = Measurements {
                systolic_mmhg: Some(below),
                ..Default::default()
            };
            assert!(flags(&s, a, U).is_empty(), "{a:?} at {below}");
            let s = Measurements {
                systolic_mmhg: Some(below - 1),
                ..Default::default()
            };
            assert_eq!(flags(&s, a, U), vec!["systolic_mmhg:low"], "{a:?}");
        }
    }

    /// AAP 2017 table 6, every row, both sexes: at the value flagged, one below not.
    #[test]
    fn high_blood_pressure_follows_aap_2017_table_6_by_sex() {
        for row in AAP_2017_BP_SCREENING {
            let ages = if row.age_years == 13 {
                vec![age(13, 0), age(ADULT_FROM_AGE, -1)]
            } else {
                vec![age(row.age_years, 0), age(row.age_years + 1, -1)]
            };
            for a in ages {
                for (sex, (s, dia)) in [
                    (AdministrativeSex::Male, row.male),
                    (AdministrativeSex::Female, row.female),
                ] {
                    let quiet = bp_set(s - 1, dia - 1);
                    assert!(flags(&quiet, a, sex).is_empty(), "{a:?} {sex:?}");
                    assert_eq!(
                        flags(&bp_set(s, dia - 1), a, sex),
                        vec!["systolic_mmhg:high"],
                        "{a:?} {sex:?}"
                    );
                    assert_eq!(
                        flags(&bp_set(s - 1, dia), a, sex),
                        vec!["diastolic_mmhg:high"],
                        "{a:?} {sex:?}"
                    );
                }
            }
        }
        // a 2-year-old girl at 100/57 is below both of her values; an unknown sex takes the
        // boys' lower ones and is flagged
        let two = age(2, 10);
        assert!(flags(&bp_set(100, 57), two, AdministrativeSex::Female).is_empty());
        assert_eq!(
            flags(&bp_set(100, 57), two, AdministrativeSex::Other),
            vec!["systolic_mmhg:high", "diastolic_mmhg:high"]
        );
        // the 12-year-old at 168 systolic
        assert_eq!(
            flags(&bp_set(168, 70), age(12, 100), AdministrativeSex::Male),
            vec!["systolic_mmhg:high"]
        );
    }

    #[test]
    fn infants_blood_pressure_is_only_flagged_low() {
        let a = age(0, 200);
        assert!(flags(&bp_set(150, 100), a, U).is_empty());
        assert_eq!(flags(&bp_set(69, 40), a, U), vec!["systolic_mmhg:low"]);
        assert!(!paediatric_cardiorespiratory_bands(a, U)
            .iter()
            .any(|b| b.field == FlaggedField::DiastolicMmhg));
    }
}
