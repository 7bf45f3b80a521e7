-- One row per body × report year: whether the body filed its report, and how. The bodies are
-- those on the office's roster (int_roster_bodies, resolved to dim_body's bodies) and every body
-- that filed anything; the years run from the first to the last report year loaded. Status:
--   filed              a current published report, on time or with no date printed
--   filed_late         a current published report, published after its deadline (mart_report_deadlines)
--   quarantined        documents for the body × year, none published (held back by the gate, rejected)
--   not_filed          a roster body with no document for the year
--   nothing_to_report  a roster body outside the years the roster expects it (from_year / to_year)

with

documents as (

    select * from {{ ref('int_documents') }}

),

versions as (

    select * from {{ ref('int_report_versions') }}

),

roster as (

    select * from {{ ref('int_roster_bodies') }}

),

deadlines as (

    select * from {{ ref('mart_report_deadlines') }}

),

years as (

    select unnest(range(min(report_year), max(report_year) + 1)) as report_year
    from documents
    where report_year is not null

),

filings as (

    select
        documents.body_id,
        documents.report_year,
        any_value(documents.body_name) as body_name,
        count(*) as n_documents,
        max(versions.current_document_id) filter (where versions.is_current) as current_document_id

    from documents
    inner join versions
        on documents.document_id = versions.document_id
    where documents.body_id is not null and documents.report_year is not null
    group by documents.body_id, documents.report_year

),

roster_bodies as (

    select
        body_id,
        min(body_name) as body_name,
        min(roster_body_name) as roster_body_name,
        min(body_kind) as roster_body_kind,
        min(parent_name) as parent_name,
        min(admin_code) as admin_code,
        min(from_year) as from_year,
        max(to_year) as to_year

    from roster
    group by body_id

),

spine as (

    select roster_bodies.body_id, years.report_year
    from roster_bodies
    cross join years
    union
    select body_id, report_year
    from filings

),

statuses as (

    select
        spine.body_id,
        coalesce(filings.body_name, roster_bodies.body_name) as body_name,
        spine.report_year,
        roster_bodies.body_id is not null as is_on_roster,
        roster_bodies.roster_body_name,
        roster_bodies.parent_name,
        roster_bodies.admin_code,
        coalesce(deadlines.body_kind, roster_bodies.roster_body_kind) as body_kind,
        coalesce(filings.n_documents, 0) as n_documents,
        deadlines.document_id as current_document_id,
        deadlines.deadline_on,
        deadlines.published_on,
        deadlines.days_after_deadline,
        case
            when roster_bodies.body_id is not null
                and (spine.report_year < roster_bodies.from_year or spine.report_year > roster_bodies.to_year)
                and filings.body_id is null
                then 'nothing_to_report'
            when deadlines.document_id is not null and deadlines.is_late then 'filed_late'
            when deadlines.document_id is not null then 'filed'
            when filings.body_id is not null then 'quarantined'
            else 'not_filed'
        end as filing_status

    from spine
    left join filings
        on spine.body_id = filings.body_id and spine.report_year = filings.report_year
    left join roster_bodies
        on spine.body_id = roster_bodies.body_id
    left join deadlines
        on spine.body_id = deadlines.body_id and spine.report_year = deadlines.report_year

),

labelled as (

    select
        statuses.*,
        case filing_status
            when 'filed' then '已按时报送'
            when 'filed_late' then '逾期报送'
            when 'quarantined' then '未通过核验'
            when 'not_filed' then '未报送'
            when 'nothing_to_report' then '无需报送'
        end as filing_status_label

    from statuses

)

select * from labelled
