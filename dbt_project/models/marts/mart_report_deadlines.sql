-- One row per current published report: when it says it was published, its legal deadline
-- (条例 第四十九条, stg_deadlines by the kind of body: the roster's, else read from the name) and
-- how many days late it was. A report that prints no date has published_on null and is_late null:
-- lateness is never guessed.

with

documents as (

    select * from {{ ref('int_documents') }}

),

versions as (

    select * from {{ ref('int_report_versions') }}

),

publication as (

    select * from {{ ref('stg_publication') }}

),

names as (

    select distinct body_id, body_kind from {{ ref('int_body_names') }}

),

roster as (

    select body_id, any_value(roster_body_kind) as roster_body_kind
    from {{ ref('int_roster_bodies') }}
    group by body_id

),

deadlines as (

    select * from {{ ref('stg_deadlines') }}

),

reports as (

    select
        documents.document_id,
        documents.body_id,
        documents.body_name,
        documents.report_year,
        coalesce(roster.roster_body_kind, names.body_kind, 'other') as body_kind,
        make_date(documents.report_year + 1, deadlines.deadline_month, deadlines.deadline_day) as deadline_on,
        publication.published_on,
        publication.published_basis,
        publication.published_page,
        publication.published_line,
        publication.published_raw,
        publication.source_url

    from documents
    inner join versions
        on documents.document_id = versions.document_id
    left join names
        on documents.body_id = names.body_id
    left join roster
        on documents.body_id = roster.body_id
    left join deadlines
        on coalesce(roster.roster_body_kind, names.body_kind, 'other') = deadlines.body_kind
    left join publication
        on documents.document_id = publication.document_id
    where versions.is_current and versions.is_published and documents.report_year is not null

),

timed as (

    select
        reports.*,
        case
            when published_on is not null then date_diff('day', deadline_on, published_on)
        end as days_after_deadline,
        case when published_on is not null then published_on > deadline_on end as is_late

    from reports

)

select * from timed
