// Generated from crates/model (src/rules.rs) by `cargo test -p medoffice-model`; do not edit.
// The clinical rules the UI applies while a person types; the core and the server apply
// the same ones. Use them through ui/src/lib (vitals.ts, format.ts, slots.ts, ...).
import type { ClinicalRules } from "./ClinicalRules";

export const RULES: ClinicalRules = {
  "vital_limits": [
    {
      "field": "systolic_mmhg",
      "min": 40.0,
      "max": 300.0,
      "integer": true,
      "unit": " mmHg"
    },
    {
      "field": "diastolic_mmhg",
      "min": 20.0,
      "max": 200.0,
      "integer": true,
      "unit": " mmHg"
    },
    {
      "field": "heart_rate_bpm",
      "min": 20.0,
      "max": 300.0,
      "integer": true,
      "unit": "/min"
    },
    {
      "field": "respiratory_rate_bpm",
      "min": 3.0,
      "max": 80.0,
      "integer": true,
      "unit": "/min"
    },
    {
      "field": "temperature_c",
      "min": 25.0,
      "max": 45.0,
      "integer": false,
      "unit": " °C"
    },
    {
      "field": "spo2_pct",
      "min": 20.0,
      "max": 100.0,
      "integer": true,
      "unit": " %"
    },
    {
      "field": "weight_kg",
      "min": 0.2,
      "max": 650.0,
      "integer": false,
      "unit": " kg"
    },
    {
      "field": "height_cm",
      "min": 20.0,
      "max": 280.0,
      "integer": false,
      "unit": " cm"
    },
    {
      "field": "pain_score",
      "min": 0.0,
      "max": 10.0,
      "integer": true,
      "unit": ""
    }
  ],
  "adult_from_age": 16,
  "adult_flag_bands": [
    {
      "field": "systolic_mmhg",
      "low": 90.0,
      "low_inclusive": true,
      "high": 140.0
    },
    {
      "field": "diastolic_mmhg",
      "low": 60.0,
      "low_inclusive": false,
      "high": 90.0
    },
    {
      "field": "heart_rate_bpm",
      "low": 50.0,
      "low_inclusive": true,
      "high": 91.0
    },
    {
      "field": "respiratory_rate_bpm",
      "low": 11.0,
      "low_inclusive": true,
      "high": 21.0
    },
    {
      "field": "temperature_c",
      "low": 35.0,
      "low_inclusive": true,
      "high": 38.0
    },
    {
      "field": "spo2_pct",
      "low": 94.0,
      "low_inclusive": false,
      "high": null
    },
    {
      "field": "pain_score",
      "low": null,
      "low_inclusive": false,
      "high": 7.0
    },
    {
      "field": "bmi",
      "low": 18.5,
      "low_inclusive": false,
      "high": 30.0
    }
  ],
  "child_spo2_low_below": 92,
  "neonate_to_day": 28,
  "child_flag_bands": [
    {
      "years": 0,
      "neonate": true,
      "sex": "female",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 60.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "heart_rate_bpm",
          "low": 110.0,
          "low_inclusive": false,
          "high": 161.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 30.0,
          "low_inclusive": false,
          "high": 41.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 0,
      "neonate": true,
      "sex": "male",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 60.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "heart_rate_bpm",
          "low": 110.0,
          "low_inclusive": false,
          "high": 161.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 30.0,
          "low_inclusive": false,
          "high": 41.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 0,
      "neonate": true,
      "sex": "other",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 60.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "heart_rate_bpm",
          "low": 110.0,
          "low_inclusive": false,
          "high": 161.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 30.0,
          "low_inclusive": false,
          "high": 41.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 0,
      "neonate": true,
      "sex": "unknown",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 60.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "heart_rate_bpm",
          "low": 110.0,
          "low_inclusive": false,
          "high": 161.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 30.0,
          "low_inclusive": false,
          "high": 41.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 0,
      "neonate": false,
      "sex": "female",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 70.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "heart_rate_bpm",
          "low": 110.0,
          "low_inclusive": false,
          "high": 161.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 30.0,
          "low_inclusive": false,
          "high": 41.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 0,
      "neonate": false,
      "sex": "male",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 70.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "heart_rate_bpm",
          "low": 110.0,
          "low_inclusive": false,
          "high": 161.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 30.0,
          "low_inclusive": false,
          "high": 41.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 0,
      "neonate": false,
      "sex": "other",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 70.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "heart_rate_bpm",
          "low": 110.0,
          "low_inclusive": false,
          "high": 161.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 30.0,
          "low_inclusive": false,
          "high": 41.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 0,
      "neonate": false,
      "sex": "unknown",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 70.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "heart_rate_bpm",
          "low": 110.0,
          "low_inclusive": false,
          "high": 161.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 30.0,
          "low_inclusive": false,
          "high": 41.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 1,
      "neonate": false,
      "sex": "female",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 72.0,
          "low_inclusive": false,
          "high": 98.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 54.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 100.0,
          "low_inclusive": false,
          "high": 151.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 25.0,
          "low_inclusive": false,
          "high": 36.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 1,
      "neonate": false,
      "sex": "male",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 72.0,
          "low_inclusive": false,
          "high": 98.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 52.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 100.0,
          "low_inclusive": false,
          "high": 151.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 25.0,
          "low_inclusive": false,
          "high": 36.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 1,
      "neonate": false,
      "sex": "other",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 72.0,
          "low_inclusive": false,
          "high": 98.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 52.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 100.0,
          "low_inclusive": false,
          "high": 151.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 25.0,
          "low_inclusive": false,
          "high": 36.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 1,
      "neonate": false,
      "sex": "unknown",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 72.0,
          "low_inclusive": false,
          "high": 98.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 52.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 100.0,
          "low_inclusive": false,
          "high": 151.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 25.0,
          "low_inclusive": false,
          "high": 36.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 2,
      "neonate": false,
      "sex": "female",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 74.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 58.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 95.0,
          "low_inclusive": false,
          "high": 141.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 25.0,
          "low_inclusive": false,
          "high": 31.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 2,
      "neonate": false,
      "sex": "male",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 74.0,
          "low_inclusive": false,
          "high": 100.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 55.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 95.0,
          "low_inclusive": false,
          "high": 141.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 25.0,
          "low_inclusive": false,
          "high": 31.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 2,
      "neonate": false,
      "sex": "other",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 74.0,
          "low_inclusive": false,
          "high": 100.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 55.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 95.0,
          "low_inclusive": false,
          "high": 141.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 25.0,
          "low_inclusive": false,
          "high": 31.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 2,
      "neonate": false,
      "sex": "unknown",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 74.0,
          "low_inclusive": false,
          "high": 100.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 55.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 95.0,
          "low_inclusive": false,
          "high": 141.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 25.0,
          "low_inclusive": false,
          "high": 31.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 3,
      "neonate": false,
      "sex": "female",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 76.0,
          "low_inclusive": false,
          "high": 102.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 60.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 95.0,
          "low_inclusive": false,
          "high": 141.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 25.0,
          "low_inclusive": false,
          "high": 31.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 3,
      "neonate": false,
      "sex": "male",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 76.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 58.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 95.0,
          "low_inclusive": false,
          "high": 141.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 25.0,
          "low_inclusive": false,
          "high": 31.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 3,
      "neonate": false,
      "sex": "other",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 76.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 58.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 95.0,
          "low_inclusive": false,
          "high": 141.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 25.0,
          "low_inclusive": false,
          "high": 31.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 3,
      "neonate": false,
      "sex": "unknown",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 76.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 58.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 95.0,
          "low_inclusive": false,
          "high": 141.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 25.0,
          "low_inclusive": false,
          "high": 31.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 4,
      "neonate": false,
      "sex": "female",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 78.0,
          "low_inclusive": false,
          "high": 103.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 62.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 95.0,
          "low_inclusive": false,
          "high": 141.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 25.0,
          "low_inclusive": false,
          "high": 31.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 4,
      "neonate": false,
      "sex": "male",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 78.0,
          "low_inclusive": false,
          "high": 102.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 60.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 95.0,
          "low_inclusive": false,
          "high": 141.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 25.0,
          "low_inclusive": false,
          "high": 31.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 4,
      "neonate": false,
      "sex": "other",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 78.0,
          "low_inclusive": false,
          "high": 102.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 60.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 95.0,
          "low_inclusive": false,
          "high": 141.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 25.0,
          "low_inclusive": false,
          "high": 31.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 4,
      "neonate": false,
      "sex": "unknown",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 78.0,
          "low_inclusive": false,
          "high": 102.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 60.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 95.0,
          "low_inclusive": false,
          "high": 141.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 25.0,
          "low_inclusive": false,
          "high": 31.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 5,
      "neonate": false,
      "sex": "female",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 80.0,
          "low_inclusive": false,
          "high": 104.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 64.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 5,
      "neonate": false,
      "sex": "male",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 80.0,
          "low_inclusive": false,
          "high": 103.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 63.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 5,
      "neonate": false,
      "sex": "other",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 80.0,
          "low_inclusive": false,
          "high": 103.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 63.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 5,
      "neonate": false,
      "sex": "unknown",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 80.0,
          "low_inclusive": false,
          "high": 103.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 63.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 6,
      "neonate": false,
      "sex": "female",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 82.0,
          "low_inclusive": false,
          "high": 105.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 67.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 6,
      "neonate": false,
      "sex": "male",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 82.0,
          "low_inclusive": false,
          "high": 105.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 66.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 6,
      "neonate": false,
      "sex": "other",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 82.0,
          "low_inclusive": false,
          "high": 105.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 66.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 6,
      "neonate": false,
      "sex": "unknown",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 82.0,
          "low_inclusive": false,
          "high": 105.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 66.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 7,
      "neonate": false,
      "sex": "female",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 84.0,
          "low_inclusive": false,
          "high": 106.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 68.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 7,
      "neonate": false,
      "sex": "male",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 84.0,
          "low_inclusive": false,
          "high": 106.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 68.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 7,
      "neonate": false,
      "sex": "other",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 84.0,
          "low_inclusive": false,
          "high": 106.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 68.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 7,
      "neonate": false,
      "sex": "unknown",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 84.0,
          "low_inclusive": false,
          "high": 106.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 68.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 8,
      "neonate": false,
      "sex": "female",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 86.0,
          "low_inclusive": false,
          "high": 107.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 69.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 8,
      "neonate": false,
      "sex": "male",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 86.0,
          "low_inclusive": false,
          "high": 107.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 69.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 8,
      "neonate": false,
      "sex": "other",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 86.0,
          "low_inclusive": false,
          "high": 107.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 69.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 8,
      "neonate": false,
      "sex": "unknown",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 86.0,
          "low_inclusive": false,
          "high": 107.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 69.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 9,
      "neonate": false,
      "sex": "female",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 88.0,
          "low_inclusive": false,
          "high": 108.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 71.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 9,
      "neonate": false,
      "sex": "male",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 88.0,
          "low_inclusive": false,
          "high": 107.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 70.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 9,
      "neonate": false,
      "sex": "other",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 88.0,
          "low_inclusive": false,
          "high": 107.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 70.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 9,
      "neonate": false,
      "sex": "unknown",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 88.0,
          "low_inclusive": false,
          "high": 107.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 70.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 10,
      "neonate": false,
      "sex": "female",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 109.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 72.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 10,
      "neonate": false,
      "sex": "male",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 108.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 72.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 10,
      "neonate": false,
      "sex": "other",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 108.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 72.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 10,
      "neonate": false,
      "sex": "unknown",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 108.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 72.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 11,
      "neonate": false,
      "sex": "female",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 111.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 74.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 11,
      "neonate": false,
      "sex": "male",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 110.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 74.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 11,
      "neonate": false,
      "sex": "other",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 110.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 74.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 11,
      "neonate": false,
      "sex": "unknown",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 110.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 74.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 80.0,
          "low_inclusive": false,
          "high": 121.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 20.0,
          "low_inclusive": false,
          "high": 26.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 12,
      "neonate": false,
      "sex": "female",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 114.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 75.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 60.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 15.0,
          "low_inclusive": false,
          "high": 21.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 12,
      "neonate": false,
      "sex": "male",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 113.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 75.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 60.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 15.0,
          "low_inclusive": false,
          "high": 21.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 12,
      "neonate": false,
      "sex": "other",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 113.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 75.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 60.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 15.0,
          "low_inclusive": false,
          "high": 21.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 12,
      "neonate": false,
      "sex": "unknown",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 113.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 75.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 60.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 15.0,
          "low_inclusive": false,
          "high": 21.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 13,
      "neonate": false,
      "sex": "female",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 120.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 80.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 60.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 15.0,
          "low_inclusive": false,
          "high": 21.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 13,
      "neonate": false,
      "sex": "male",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 120.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 80.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 60.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 15.0,
          "low_inclusive": false,
          "high": 21.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 13,
      "neonate": false,
      "sex": "other",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 120.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 80.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 60.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 15.0,
          "low_inclusive": false,
          "high": 21.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 13,
      "neonate": false,
      "sex": "unknown",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 120.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 80.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 60.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 15.0,
          "low_inclusive": false,
          "high": 21.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 14,
      "neonate": false,
      "sex": "female",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 120.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 80.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 60.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 15.0,
          "low_inclusive": false,
          "high": 21.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 14,
      "neonate": false,
      "sex": "male",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 120.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 80.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 60.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 15.0,
          "low_inclusive": false,
          "high": 21.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 14,
      "neonate": false,
      "sex": "other",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 120.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 80.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 60.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 15.0,
          "low_inclusive": false,
          "high": 21.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 14,
      "neonate": false,
      "sex": "unknown",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 120.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 80.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 60.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 15.0,
          "low_inclusive": false,
          "high": 21.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 15,
      "neonate": false,
      "sex": "female",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 120.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 80.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 60.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 15.0,
          "low_inclusive": false,
          "high": 21.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 15,
      "neonate": false,
      "sex": "male",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 120.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 80.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 60.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 15.0,
          "low_inclusive": false,
          "high": 21.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 15,
      "neonate": false,
      "sex": "other",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 120.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 80.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 60.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 15.0,
          "low_inclusive": false,
          "high": 21.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    },
    {
      "years": 15,
      "neonate": false,
      "sex": "unknown",
      "bands": [
        {
          "field": "systolic_mmhg",
          "low": 90.0,
          "low_inclusive": false,
          "high": 120.0
        },
        {
          "field": "diastolic_mmhg",
          "low": null,
          "low_inclusive": false,
          "high": 80.0
        },
        {
          "field": "heart_rate_bpm",
          "low": 60.0,
          "low_inclusive": false,
          "high": 101.0
        },
        {
          "field": "respiratory_rate_bpm",
          "low": 15.0,
          "low_inclusive": false,
          "high": 21.0
        },
        {
          "field": "temperature_c",
          "low": 35.0,
          "low_inclusive": true,
          "high": 38.0
        },
        {
          "field": "spo2_pct",
          "low": 92.0,
          "low_inclusive": false,
          "high": null
        },
        {
          "field": "pain_score",
          "low": null,
          "low_inclusive": false,
          "high": 7.0
        }
      ]
    }
  ],
  "bmi_decimals": 1,
  "news2": {
    "parameters": [
      {
        "field": "respiratory_rate_bpm",
        "decimals": 0,
        "bands": [
          {
            "up_to": 8.0,
            "score": 3
          },
          {
            "up_to": 11.0,
            "score": 1
          },
          {
            "up_to": 20.0,
            "score": 0
          },
          {
            "up_to": 24.0,
            "score": 2
          },
          {
            "up_to": null,
            "score": 3
          }
        ]
      },
      {
        "field": "spo2_pct",
        "decimals": 0,
        "bands": [
          {
            "up_to": 91.0,
            "score": 3
          },
          {
            "up_to": 93.0,
            "score": 2
          },
          {
            "up_to": 95.0,
            "score": 1
          },
          {
            "up_to": null,
            "score": 0
          }
        ]
      },
      {
        "field": "systolic_mmhg",
        "decimals": 0,
        "bands": [
          {
            "up_to": 90.0,
            "score": 3
          },
          {
            "up_to": 100.0,
            "score": 2
          },
          {
            "up_to": 110.0,
            "score": 1
          },
          {
            "up_to": 219.0,
            "score": 0
          },
          {
            "up_to": null,
            "score": 3
          }
        ]
      },
      {
        "field": "heart_rate_bpm",
        "decimals": 0,
        "bands": [
          {
            "up_to": 40.0,
            "score": 3
          },
          {
            "up_to": 50.0,
            "score": 1
          },
          {
            "up_to": 90.0,
            "score": 0
          },
          {
            "up_to": 110.0,
            "score": 1
          },
          {
            "up_to": 130.0,
            "score": 2
          },
          {
            "up_to": null,
            "score": 3
          }
        ]
      },
      {
        "field": "temperature_c",
        "decimals": 1,
        "bands": [
          {
            "up_to": 35.0,
            "score": 3
          },
          {
            "up_to": 36.0,
            "score": 1
          },
          {
            "up_to": 38.0,
            "score": 0
          },
          {
            "up_to": 39.0,
            "score": 1
          },
          {
            "up_to": null,
            "score": 2
          }
        ]
      }
    ],
    "on_oxygen_score": 2,
    "not_alert_score": 3,
    "red_score": 3,
    "medium_from": 5,
    "high_from": 7
  },
  "appointment_statuses": [
    {
      "status": "scheduled",
      "is_live": true,
      "can_move": true,
      "can_become": [
        "scheduled",
        "checked_in",
        "cancelled",
        "no_show"
      ]
    },
    {
      "status": "checked_in",
      "is_live": true,
      "can_move": true,
      "can_become": [
        "scheduled",
        "checked_in",
        "in_progress",
        "completed",
        "cancelled"
      ]
    },
    {
      "status": "in_progress",
      "is_live": true,
      "can_move": false,
      "can_become": [
        "in_progress",
        "completed"
      ]
    },
    {
      "status": "completed",
      "is_live": false,
      "can_move": false,
      "can_become": [
        "completed"
      ]
    },
    {
      "status": "cancelled",
      "is_live": false,
      "can_move": false,
      "can_become": [
        "cancelled"
      ]
    },
    {
      "status": "no_show",
      "is_live": false,
      "can_move": false,
      "can_become": [
        "scheduled",
        "no_show"
      ]
    }
  ],
  "appointment_duration_minutes": {
    "min": 5,
    "max": 480
  },
  "appointment_editable_fields": [
    "status",
    "starts_at",
    "duration_minutes",
    "provider_id",
    "kind",
    "reason",
    "notes",
    "outside_hours_reason",
    "room_id"
  ],
  "patient_editable_fields": [
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "city",
    "state",
    "postal_code",
    "country",
    "preferred_language",
    "interpreter_required",
    "emergency_contact_name",
    "emergency_contact_phone",
    "next_of_kin_name",
    "next_of_kin_relationship",
    "next_of_kin_phone",
    "identifiers",
    "allergies",
    "no_known_allergies",
    "notes",
    "first_seen_at"
  ],
  "error_codes": [
    "validation",
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "outside_availability",
    "network",
    "rate_limited",
    "totp_required",
    "password_change_required",
    "totp_enrollment_required",
    "plan_limit",
    "not_signed_in",
    "update_required",
    "local_cache",
    "internal"
  ],
  "api_error_codes": [
    "totp_required",
    "password_change_required",
    "totp_enrollment_required",
    "totp_required_by_clinic",
    "session_ended",
    "rate_limited",
    "plan_limit",
    "self_registration_disabled",
    "unsupported_change",
    "other"
  ],
  "visit_colours": [
    "blue",
    "teal",
    "green",
    "amber",
    "rose",
    "violet",
    "slate"
  ],
  "clinician_roles": [
    "nurse",
    "physician"
  ],
  "correction_reason_max": 500
};
