-- Patient search as you type, at 100,000 patients. A name term is a word prefix of the folded
-- name (" given family ", see 0001); `search_name LIKE '% garc%'` cannot use an index, so every
-- keystroke scanned the whole table. Each word of the folded name is kept here once per
-- patient, and a prefix becomes a range scan: word >= 'garc' AND word < 'garc' || char(127)
-- (folded names are ASCII). Written by the cache code with the patient row (cache.rs
-- `apply_change`), in the same transaction.
CREATE TABLE patient_words (
    word TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    PRIMARY KEY (word, patient_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX patient_words_patient ON patient_words (patient_id);

WITH RECURSIVE split (patient_id, word, rest) AS (
    SELECT id, '', ltrim(search_name) FROM patients
    UNION ALL
    SELECT patient_id,
           substr(rest, 1, instr(rest || ' ', ' ') - 1),
           ltrim(substr(rest, instr(rest || ' ', ' ') + 1))
    FROM split WHERE rest <> ''
)
INSERT OR IGNORE INTO patient_words (word, patient_id)
SELECT word, patient_id FROM split WHERE word <> '';

-- Digits typed match inside phone numbers (`%0199%`): no index serves that, but a scan of this
-- narrow index reads a few hundred kilobytes instead of every patient's JSON.
CREATE INDEX patients_phone_digits ON patients (phone_digits, mrn);
