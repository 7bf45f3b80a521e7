{{ config(**incremental_by_document()) }}

-- The cells to look at for each held-back report: every cell a cause in quarantine names, with
-- the Chinese labels of its row and column, its value and basis, and where it was read (page,
-- line, printed text).  A cell the document lacks has no value and no place.  Incremental by
-- document (macros/by_document.sql): a million rows at 100 000 reports, rebuilt whole every
-- load before.

with

failures as (

    select * from {{ ref('stg_gate_failures') }}
    where document_id in ({{ documents_to_build() }})

),

documents as (

    select * from {{ ref('int_documents') }}

),

named_cells as (

    select distinct
        failures.document_id,
        failures.section,
        cell_id

    from failures
    cross join unnest(string_split(failures.cells, ',')) as named (cell_id)
    where cell_id <> ''

),

template_rows as (

    select * from {{ ref('stg_template_rows') }}

),

template_columns as (

    select * from {{ ref('stg_template_columns') }}

),

cells as (

    select * from {{ ref('int_cells_corrected') }}

),

looked_at as (

    select
        named_cells.document_id,
        named_cells.section,
        named_cells.cell_id,
        split_part(named_cells.cell_id, '/', 1) as table_code,
        split_part(named_cells.cell_id, '/', 2) as row_code,
        split_part(named_cells.cell_id, '/', 3) as col_code,
        -- the report's own version labels the cell, else the other one (v2021's 其他处理 printed as one row)
        (
            select template_rows.row_label from template_rows
            where template_rows.table_code = split_part(named_cells.cell_id, '/', 1)
                and template_rows.row_code = split_part(named_cells.cell_id, '/', 2)
            order by (template_rows.template_version = documents.template_version) desc
            limit 1
        ) as row_label,
        (
            select template_columns.col_label from template_columns
            where template_columns.table_code = split_part(named_cells.cell_id, '/', 1)
                and template_columns.col_code = split_part(named_cells.cell_id, '/', 3)
            order by (template_columns.template_version = documents.template_version) desc
            limit 1
        ) as col_label,
        cells.cell_id is not null as is_in_document,
        cells.value,
        cells.basis,
        cells.page,
        cells.line,
        cells.raw_text

    from named_cells
    inner join documents
        on named_cells.document_id = documents.document_id
    left join cells
        on named_cells.document_id = cells.document_id
            and named_cells.cell_id = cells.cell_id

)

select * from looked_at
