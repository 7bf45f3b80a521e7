-- One row per cell a new reading of a document changed: the value or its basis differs, or the
-- cell is new or gone. Both values are as extracted (before reviewers' corrections), with the
-- template's labels; `xxgk run` and `xxgk reextract` print the first few.

with

changes as (

    select * from {{ ref('stg_reading_changes') }}

),

documents as (

    select * from {{ ref('int_documents') }}

),

template_rows as (

    -- a code has one label per template version; the report's own version first
    select * from {{ ref('stg_template_rows') }}

),

template_columns as (

    select * from {{ ref('stg_template_columns') }}

),

labelled as (

    select
        changes.*,
        (
            select template_rows.row_label
            from template_rows
            where template_rows.table_code = changes.table_code
                and template_rows.row_code = changes.row_code
            order by
                (template_rows.template_version = documents.template_version) desc,
                template_rows.template_version desc
            limit 1
        ) as row_label,
        (
            select template_columns.col_label
            from template_columns
            where template_columns.table_code = changes.table_code
                and template_columns.col_code = changes.col_code
            order by
                (template_columns.template_version = documents.template_version) desc,
                template_columns.template_version desc
            limit 1
        ) as col_label

    from changes
    inner join documents
        on changes.document_id = documents.document_id

),

reading_changes as (

    select
        ---------- ids
        labelled.document_id,
        labelled.reading_seq,
        labelled.cell_id,
        labelled.table_code,
        labelled.row_code,
        labelled.col_code,

        ---------- the report
        documents.body_id,
        documents.org_name as printed_body_name,
        documents.report_year,
        documents.source_path,

        ---------- the cell, in the template's words
        labelled.row_label,
        labelled.col_label,

        ---------- the change
        labelled.change,
        labelled.previous_value,
        labelled.value,
        labelled.previous_basis,
        labelled.basis,
        labelled.previous_reading_seq,
        labelled.previous_extractor_version,
        labelled.extractor_version,

        ---------- timestamps
        labelled.read_at

    from labelled
    inner join documents
        on labelled.document_id = documents.document_id

)

select * from reading_changes
