{{ config(**incremental_by_document()) }}

-- Section 三: one row per report × row × applicant type, for the current version of each
-- body's report for a year (int_report_versions) whose section 三 passed the gate; a filter of
-- fct_applications_history (macro current_section_facts), every published version is there.

{{ current_section_facts('s3', 'fct_applications_history', [
    'row_label', 'row_label_en', 'row_group', 'row_level', 'is_leaf', 'row_order',
    'col_label as applicant_label', 'col_label_en as applicant_label_en', 'col_order as applicant_order',
]) }}
