{{ config(**incremental_by_document()) }}

-- Section 四, every published version: one row per report version × proceeding × outcome.
-- A published version is one that passed the gate, current or superseded (dim_report);
-- how the model stays incremental: macros/section_history.sql.

{{ section_history('s4') }}
