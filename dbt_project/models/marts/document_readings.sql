-- One row per reading of a document: the record one extractor version made of it. The marts
-- show the current reading; the earlier ones stay here, and the cells a reading changed are in
-- reading_changes.

with

readings as (

    select * from {{ ref('stg_readings') }}

),

documents as (

    select * from {{ ref('int_documents') }}

),

changes as (

    select document_id, reading_seq, count(*) as n_changed_cells
    from {{ ref('stg_reading_changes') }}
    group by document_id, reading_seq

),

document_readings as (

    select
        ---------- ids
        readings.document_id,
        readings.reading_seq,

        ---------- the reading
        readings.extractor_version,
        readings.record_schema,
        readings.is_current_reading,
        readings.status,
        readings.org_name as printed_body_name,
        readings.report_year,
        readings.template_version,
        readings.source_path,
        readings.n_cells,
        readings.n_problems,
        -- cells changed from the reading before (null for the first reading)
        case when readings.reading_seq > 1 then coalesce(changes.n_changed_cells, 0) end
            as n_changed_cells,

        ---------- the document now
        documents.body_id,

        ---------- timestamps
        readings.read_at,
        readings.superseded_at

    from readings
    inner join documents
        on readings.document_id = documents.document_id
    left join changes
        on readings.document_id = changes.document_id
            and readings.reading_seq = changes.reading_seq

)

select * from document_readings
