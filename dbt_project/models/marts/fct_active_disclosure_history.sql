{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook=["{{ create_ledger() }}", "{{ drop_stale_documents() }}"],
        post_hook=["{{ forget_stale_digests() }}", "{{ record_document_digests() }}"],
    )
}}

-- Section 二, every published version: one row per report version × table × row × measure.
-- A published version is one that passed the gate, current or superseded (dim_report);
-- how the model stays incremental: macros/section_history.sql.

{{ section_history('s2') }}
