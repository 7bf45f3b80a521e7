{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='document_id',
        on_schema_change='fail',
        post_hook="delete from {{ this }} where document_id not in (select document_id from {{ ref('int_report_versions') }} where is_published)"
    )
}}

-- Section 二, every published version: one row per report version × table × row × measure.
-- A published version is one that passed the gate, current or superseded (dim_report);
-- how the model stays incremental: macros/section_history.sql.

{{ section_history('s2', 'row_code', 'measure_code') }}
