-- One row per reporting body × report year, from the current version of the report: the
-- headline numbers of sections 二, 三 and 四 side by side, for analysts who want one table.
-- Each section's numbers come from the current facts, which show per section the latest
-- version whose section passed the gate (int_published_sections); a section none passed is null.
-- Section 三 numbers are the 总计 column. Where v2019 and v2021 measure different things their
-- columns are apart: v2021 fee amounts (万元) and v2019 fee item counts, v2021 现行有效 and v2019
-- 对外公开总数量. Decisions on licensing, penalties and coercion (v2019 处理决定数量, v2021
-- 本年处理决定数量) are one column each (template.md §1.3).

with

reports as (

    select * from {{ ref('dim_report') }}
    where is_current

),

bodies as (

    select * from {{ ref('dim_body') }}

),

applications as (

    select * from {{ ref('fct_applications') }}

),

active_disclosure as (

    select * from {{ ref('fct_active_disclosure') }}

),

review_litigation as (

    select * from {{ ref('fct_review_litigation') }}

),

application_totals as (

    select
        body_id,
        report_year,
        cast(
            sum(value) filter (where row_code = 'new_received' and col_code = 'total')
            as bigint
        ) as new_received,
        cast(
            sum(value) filter (where row_code = 'new_received' and col_code = 'natural_person')
            as bigint
        ) as new_received_natural_person,
        cast(sum(value) filter (
            where row_code = 'new_received' and col_code not in ('natural_person', 'total')
        ) as bigint) as new_received_legal_or_other_org,
        cast(
            sum(value) filter (where row_code = 'carried_over_from_last_year' and col_code = 'total')
            as bigint
        ) as carried_over_from_last_year,
        cast(
            sum(value) filter (where row_group = 'granted' and is_leaf and col_code = 'total')
            as bigint
        ) as granted,
        cast(
            sum(value) filter (where row_group = 'partially_granted' and is_leaf and col_code = 'total')
            as bigint
        ) as partially_granted,
        cast(
            sum(value) filter (where row_group = 'denied' and is_leaf and col_code = 'total')
            as bigint
        ) as denied,
        cast(
            sum(value) filter (where row_group = 'unable' and is_leaf and col_code = 'total')
            as bigint
        ) as unable,
        cast(
            sum(value) filter (where row_group = 'not_processed' and is_leaf and col_code = 'total')
            as bigint
        ) as not_processed,
        cast(
            sum(value) filter (where row_group = 'other' and is_leaf and col_code = 'total')
            as bigint
        ) as other_handling,
        cast(
            sum(value) filter (where row_code = 'total_processed' and col_code = 'total')
            as bigint
        ) as total_processed,
        cast(
            sum(value) filter (where row_code = 'carried_to_next_year' and col_code = 'total')
            as bigint
        ) as carried_to_next_year,
        count(*) filter (where is_imputed) as n_imputed_application_cells

    from applications
    group by body_id, report_year

),

review_litigation_outcomes as (

    select
        body_id,
        report_year,
        {% for proceeding in ['review', 'litigation_direct', 'litigation_after_review'] %}
            {% for outcome in ['upheld', 'corrected', 'other', 'pending', 'total'] %}
                cast(
                    sum(value) filter (where row_code = '{{ proceeding }}' and col_code = '{{ outcome }}')
                    as bigint
                )
                    as {{ proceeding }}_{{ outcome }},
            {% endfor %}
        {% endfor %}
        cast(sum(value) filter (
            where row_code in ('litigation_direct', 'litigation_after_review') and col_code = 'total'
        ) as bigint) as litigation_total

    from review_litigation
    group by body_id, report_year

),

active_measures as (

    select
        body_id,
        report_year,
        -- 第二十条第（一）项 normative documents: v2021 and v2019 measure different things
        max(value) filter (where row_code = 'normative_documents' and col_code = 'issued_this_year')
            as normative_docs_issued,
        max(value) filter (where row_code = 'normative_documents' and col_code = 'repealed_this_year')
            as normative_docs_repealed,
        max(value) filter (where row_code = 'normative_documents' and col_code = 'currently_valid')
            as normative_docs_currently_valid,
        max(value) filter (where row_code = 'normative_documents' and col_code = 'newly_made_this_year')
            as normative_docs_newly_made_v2019,
        max(value) filter (
            where row_code = 'normative_documents' and col_code = 'newly_published_this_year'
        ) as normative_docs_newly_published_v2019,
        max(value) filter (where row_code = 'normative_documents' and col_code = 'total_published')
            as normative_docs_total_published_v2019,
        -- 第二十条第（五）（六）项 decisions: the same measure in both versions
        max(value) filter (
            where row_code = 'administrative_licensing'
            and col_code in ('decisions_this_year', 'decisions')
        ) as licensing_decisions,
        max(value) filter (
            where row_code = 'administrative_penalty' and col_code in ('decisions_this_year', 'decisions')
        ) as penalty_decisions,
        max(value) filter (
            where row_code = 'administrative_coercion'
            and col_code in ('decisions_this_year', 'decisions')
        ) as coercion_decisions,
        -- 第二十条第（八）项 fees: an amount in 万元 in v2021, a number of fee items in v2019
        max(amount_wan_cny) filter (
            where row_code = 'administrative_fees' and col_code = 'fee_amount_wan_cny'
        ) as fee_amount_wan_cny,
        max(value) filter (where row_code = 'administrative_fees' and col_code = 'items_last_year')
            as fee_items_last_year_v2019,
        max(value) filter (
            where row_code = 'administrative_fees' and col_code = 'items_change_this_year'
        ) as fee_items_change_v2019,
        -- 第二十条第（九）项 procurement: v2019 only
        max(value) filter (
            where row_code = 'govt_centralized_procurement' and col_code = 'procurement_projects'
        ) as procurement_projects_v2019,
        -- 采购总金额 states no unit: each unit in its own column (万元 and 元 never added up)
        max(amount_wan_cny) filter (
            where row_code = 'govt_centralized_procurement' and col_code = 'procurement_total_amount'
        ) as procurement_amount_wan_cny_v2019,
        max(amount_cny) filter (
            where row_code = 'govt_centralized_procurement' and col_code = 'procurement_total_amount'
        ) as procurement_amount_cny_v2019,
        max(amount_unit_unknown) filter (
            where row_code = 'govt_centralized_procurement' and col_code = 'procurement_total_amount'
        ) as procurement_amount_unit_unknown_v2019

    from active_disclosure
    group by body_id, report_year

),

body_years as (

    select
        ---------- ids
        reports.body_id,
        reports.report_year,
        reports.document_id,

        ---------- the body
        bodies.body_name,
        reports.printed_body_name,
        bodies.body_kind,
        bodies.province,
        bodies.city,
        bodies.county,
        bodies.township,

        ---------- the report
        reports.template_version,
        reports.status,
        reports.n_problems,
        reports.loaded_at,
        reports.n_published_versions,

        ---------- 三 applications (总计 column)
        application_totals.new_received,
        application_totals.new_received_natural_person,
        application_totals.new_received_legal_or_other_org,
        application_totals.carried_over_from_last_year,
        application_totals.granted,
        application_totals.partially_granted,
        application_totals.denied,
        application_totals.unable,
        application_totals.not_processed,
        application_totals.other_handling,
        application_totals.total_processed,
        application_totals.carried_to_next_year,
        application_totals.n_imputed_application_cells,

        ---------- 四 reviews and suits
        {% for proceeding in ['review', 'litigation_direct', 'litigation_after_review'] %}
            {% for outcome in ['upheld', 'corrected', 'other', 'pending', 'total'] %}
                review_litigation_outcomes.{{ proceeding }}_{{ outcome }},
            {% endfor %}
        {% endfor %}
        review_litigation_outcomes.litigation_total,

        ---------- 二 active disclosure
        active_measures.normative_docs_issued,
        active_measures.normative_docs_repealed,
        active_measures.normative_docs_currently_valid,
        active_measures.normative_docs_newly_made_v2019,
        active_measures.normative_docs_newly_published_v2019,
        active_measures.normative_docs_total_published_v2019,
        active_measures.licensing_decisions,
        active_measures.penalty_decisions,
        active_measures.coercion_decisions,
        active_measures.fee_amount_wan_cny,
        active_measures.fee_items_last_year_v2019,
        active_measures.fee_items_change_v2019,
        active_measures.procurement_projects_v2019,
        active_measures.procurement_amount_wan_cny_v2019,
        active_measures.procurement_amount_cny_v2019,
        active_measures.procurement_amount_unit_unknown_v2019

    from reports
    inner join bodies
        on reports.body_id = bodies.body_id
    left join application_totals
        on reports.body_id = application_totals.body_id
            and reports.report_year = application_totals.report_year
    left join review_litigation_outcomes
        on reports.body_id = review_litigation_outcomes.body_id
            and reports.report_year = review_litigation_outcomes.report_year
    left join active_measures
        on reports.body_id = active_measures.body_id
            and reports.report_year = active_measures.report_year

)

select * from body_years
