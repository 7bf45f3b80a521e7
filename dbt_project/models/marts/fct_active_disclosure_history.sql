{{ config(**incremental_by_document()) }}

-- Section 二, every published version: one row per report version × table × row × measure.
-- A published version is one that passed the gate, current or superseded (dim_report);
-- how the model stays incremental: macros/section_history.sql.

{{ section_history('s2') }}
