-- Cells of loaded documents use the table, row and column codes of their template version.
-- A warning, not an error: such cells are left out of the marts (int_cells_labelled) and the
-- extractor should be fixed, but they must not stop the load.  Like the generic tests, it
-- checks the documents this build labelled (all of them on a full refresh): the whole
-- warehouse was 20 million cells and 24 s a build at 100 000 reports.
{{ config(severity='warn') }}

with

documents_of_this_build as (

    select document_id from {{ ledger(ref('int_cells_labelled')) }}
    where built_at = {{ build_time() }}

),

cells as (

    select * from {{ ref('stg_cells') }}
    where document_id in (select document_id from documents_of_this_build)

),

documents as (

    select * from {{ ref('stg_documents') }}
    where template_version is not null

),

labelled_cells as (

    select document_id, cell_id from {{ ref('int_cells_labelled') }}

)

select
    cells.document_id,
    documents.template_version,
    cells.cell_id

from cells
inner join documents
    on cells.document_id = documents.document_id
left join labelled_cells
    on cells.document_id = labelled_cells.document_id
    and cells.cell_id = labelled_cells.cell_id
where labelled_cells.cell_id is null
