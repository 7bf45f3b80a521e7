-- Every cell whose codes are in the template, with the template's labels and the document's
-- body, year and version; value is after the reviewers' corrections (int_cells_corrected).  A cell is labelled from its document's template version, or else
-- from the other version: transition-year reports mix versions (template.md §0), and some
-- v2021 reports print （六）其他处理 as one row with numbers, as v2019 did.  row_version and
-- col_version say which version labelled the cell.  Cells with codes in neither version are
-- left out here (and reported by the test assert_cells_use_template_codes).

--
-- Incremental by document (macros/by_document.sql): a load labels the new documents and those
-- whose cells, body, year, template version or status changed, or all after a template change.

{{ config(**incremental_by_document()) }}

with

documents_to_build as (

    {{ documents_to_build() }}

),

cells as (

    -- reviewers' corrections applied, the extracted value kept beside
    select * from {{ ref('int_cells_corrected') }}
    where document_id in (select document_id from documents_to_build)

),

documents as (

    select * from {{ ref('int_documents') }}

),

template_rows as (

    select * from {{ ref('stg_template_rows') }}

),

template_columns as (

    select * from {{ ref('stg_template_columns') }}

),

versions as (

    select distinct template_version from template_rows

),

rows_by_version as (

    -- for each version, every row of any version: its own if it has one, else the other's
    select
        versions.template_version as for_version,
        template_rows.*,
        row_number() over (
            partition by versions.template_version, template_rows.table_code, template_rows.row_code
            order by
                (template_rows.template_version = versions.template_version) desc,
                template_rows.template_version desc
        ) as preference

    from versions
    cross join template_rows

),

columns_by_version as (

    select
        versions.template_version as for_version,
        template_columns.*,
        row_number() over (
            partition by versions.template_version, template_columns.table_code, template_columns.col_code
            order by
                (template_columns.template_version = versions.template_version) desc,
                template_columns.template_version desc
        ) as preference

    from versions
    cross join template_columns

),

labelled as (

    select
        cells.document_id,
        documents.body_id,
        documents.org_name,
        documents.report_year,
        documents.template_version,
        documents.status,
        rows_by_version.section,
        cells.table_code,
        cells.row_code,
        rows_by_version.row_label,
        rows_by_version.row_label_en,
        rows_by_version.row_group,
        rows_by_version.row_level,
        rows_by_version.is_leaf,
        rows_by_version.row_order,
        rows_by_version.template_version as row_version,
        cells.col_code,
        columns_by_version.col_label,
        columns_by_version.col_label_en,
        columns_by_version.col_kind,
        columns_by_version.col_order,
        columns_by_version.template_version as col_version,
        cells.cell_id,
        cells.value,
        cells.printed_value,
        cells.is_corrected,
        cells.correction_reason,
        cells.corrected_by,
        cells.corrected_at,
        cells.basis,
        cells.extracted_basis,
        cells.is_added_by_correction,
        cells.is_imputed,
        cells.page,
        cells.line,
        cells.raw_text,
        -- the unit printed with the number (万元, 元, …; null when none), extractors/values.py
        json_extract_string(cells.where_json, '$.unit') as printed_unit

    from cells
    inner join documents
        on cells.document_id = documents.document_id
    inner join rows_by_version
        on documents.template_version = rows_by_version.for_version
            and cells.table_code = rows_by_version.table_code
            and cells.row_code = rows_by_version.row_code
            and rows_by_version.preference = 1
    inner join columns_by_version
        on documents.template_version = columns_by_version.for_version
            and cells.table_code = columns_by_version.table_code
            and cells.col_code = columns_by_version.col_code
            and columns_by_version.preference = 1

)

select * from labelled
