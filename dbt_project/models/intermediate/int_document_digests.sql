-- One row per loaded document: for each model incremental by document (macros/by_document.sql),
-- a digest of what that model reads of the document.  When a digest changes, the model's rows
-- of that document are rebuilt at the next build; the others are left as they are.
--
-- int_cells_corrected reads the document's current reading (a new reading has another
-- reading_seq) and its applied corrections; int_cells_labelled adds the document's body (the
-- name rules and the seed can move it), year, template version and status, and the template;
-- int_identity_residuals the template version, status, template and identities.  The facts add
-- the gate's verdict on their section (published or not, current or not); quarantine_cells
-- int_cells_corrected's with the cells the gate's causes name, by section.
--
-- A view on purpose: the facts' digests read the gate's verdicts, written after this layer.

with

documents as (

    select * from {{ ref('int_documents') }}

),

corrections as (

    -- what int_cells_corrected takes of the applied corrections, in the file's order
    select
        document_id,
        string_agg(
            concat_ws(
                chr(31),
                correction_seq, cell_id, corrected_value, correction_reason, corrected_by, corrected_at
            ),
            chr(30) order by correction_seq
        ) as applied_corrections
    from {{ ref('stg_corrections') }}
    where correction_status = 'applied'
    group by document_id

),

templates as (

    select
        {{ relation_digest(ref('stg_template_rows')) }} as template_rows,
        {{ relation_digest(ref('stg_template_columns')) }} as template_columns,
        {{ relation_digest(ref('stg_identity_terms')) }} as identity_terms

),

published_sections as (

    select
        document_id,
        bool_or(section = 's2') as s2_published,
        bool_or(section = 's3') as s3_published,
        bool_or(section = 's4') as s4_published,
        bool_or(section = 's2' and is_current) as s2_current,
        bool_or(section = 's3' and is_current) as s3_current,
        bool_or(section = 's4' and is_current) as s4_current
    from {{ ref('int_published_sections') }}
    group by document_id

),

failed_cells as (

    -- what quarantine_cells takes of the gate's causes: the cells each names, by section
    select
        document_id,
        string_agg(
            concat_ws(chr(31), coalesce(section, chr(30)), coalesce(cells, chr(30))),
            chr(30) order by section nulls first, cells nulls first
        ) as failed_cells
    from {{ ref('stg_gate_failures') }}
    group by document_id

),

cells_digests as (

    select
        documents.document_id,
        {{ digest([
            'documents.reading_seq', 'documents.extractor_version', 'documents.read_at',
            'documents.n_cells', 'corrections.applied_corrections',
        ]) }} as cells_digest,
        documents.body_id,
        documents.org_name,
        documents.report_year,
        documents.template_version,
        documents.status,
        documents.loaded_at,
        failed_cells.failed_cells

    from documents
    left join corrections
        on documents.document_id = corrections.document_id
    left join failed_cells
        on documents.document_id = failed_cells.document_id

),

layer_digests as (

    select
        cells_digests.document_id,
        cells_digests.cells_digest,
        {{ digest([
            'cells_digests.cells_digest', 'cells_digests.body_id', 'cells_digests.org_name',
            'cells_digests.report_year', 'cells_digests.template_version', 'cells_digests.status',
            'templates.template_rows', 'templates.template_columns',
        ]) }} as labelled_digest,
        {{ digest([
            'cells_digests.cells_digest', 'cells_digests.template_version', 'cells_digests.status',
            'templates.template_rows', 'templates.template_columns', 'templates.identity_terms',
        ]) }} as residuals_digest,
        {{ digest([
            'cells_digests.cells_digest', 'cells_digests.template_version', 'cells_digests.failed_cells',
            'templates.template_rows', 'templates.template_columns',
        ]) }} as quarantine_cells_digest,
        cells_digests.loaded_at,
        coalesce(published_sections.s2_published, false) as s2_published,
        coalesce(published_sections.s3_published, false) as s3_published,
        coalesce(published_sections.s4_published, false) as s4_published,
        coalesce(published_sections.s2_current, false) as s2_current,
        coalesce(published_sections.s3_current, false) as s3_current,
        coalesce(published_sections.s4_current, false) as s4_current

    from cells_digests
    cross join templates
    left join published_sections
        on cells_digests.document_id = published_sections.document_id

),

digests as (

    select
        document_id,
        cells_digest as int_cells_corrected,
        labelled_digest as int_cells_labelled,
        residuals_digest as int_identity_residuals,
        {{ digest(['labelled_digest', 's2_published', 'loaded_at']) }} as fct_active_disclosure_history,
        {{ digest(['labelled_digest', 's3_published', 'loaded_at']) }} as fct_applications_history,
        {{ digest(['labelled_digest', 's4_published', 'loaded_at']) }} as fct_review_litigation_history,
        {{ digest(['labelled_digest', 's2_published', 's2_current']) }} as fct_active_disclosure,
        {{ digest(['labelled_digest', 's3_published', 's3_current']) }} as fct_applications,
        {{ digest(['labelled_digest', 's4_published', 's4_current']) }} as fct_review_litigation,
        quarantine_cells_digest as quarantine_cells

    from layer_digests

)

select * from digests
