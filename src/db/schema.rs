// @generated shape of `diesel print-schema` for migrations/; keep in step with them.

diesel::table! {
    audit_events (id) {
        id -> Uuid,
        occurred_at -> Timestamptz,
        subject -> Text,
        authority_code -> Text,
        action -> Text,
        entity_type -> Text,
        entity_id -> Uuid,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        request_id -> Text,
        txid -> Int8,
    }
}

diesel::table! {
    authorities (id) {
        id -> Uuid,
        code -> Text,
        name -> Text,
        gb_lae_code -> Nullable<Text>,
        gss_code -> Nullable<Text>,
        is_star_partner -> Bool,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    categories (id) {
        id -> Uuid,
        parent_id -> Nullable<Uuid>,
        code -> Text,
        name -> Text,
        description -> Text,
        cpv_codes -> Array<Text>,
        position -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    commissioning_intentions (id) {
        id -> Uuid,
        authority_id -> Uuid,
        reference -> Text,
        title -> Text,
        description -> Text,
        category_id -> Uuid,
        service_area -> Nullable<Text>,
        financial_year -> Text,
        estimated_annual_value_pence -> Nullable<Int8>,
        estimated_whole_life_value_pence -> Nullable<Int8>,
        replaces_contracts -> Array<Text>,
        planned_procurement_start -> Nullable<Date>,
        planned_contract_start -> Nullable<Date>,
        priority -> Text,
        tranche -> Int2,
        improvement_category -> Nullable<Int2>,
        sme_local_opportunity -> Bool,
        collaboration_potential -> Bool,
        social_value_priorities -> Array<Text>,
        lead_officer -> Nullable<Text>,
        status -> Text,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        decision -> Nullable<Text>,
        decision_date -> Nullable<Date>,
        minute_reference -> Nullable<Text>,
        decision_note -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        rolled_from -> Nullable<Uuid>,
        published_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    contracts (id) {
        id -> Uuid,
        authority_id -> Uuid,
        reference -> Text,
        title -> Text,
        supplier_name -> Text,
        companies_house_number -> Nullable<Text>,
        category_id -> Uuid,
        cpv_code -> Nullable<Text>,
        annual_value_pence -> Nullable<Int8>,
        total_value_pence -> Nullable<Int8>,
        start_date -> Date,
        end_date -> Date,
        extension_end_dates -> Array<Date>,
        status -> Text,
        intention_id -> Nullable<Uuid>,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    idempotency_keys (authority_code, subject, key) {
        authority_code -> Text,
        subject -> Text,
        key -> Text,
        request_fingerprint -> Text,
        response_status -> Nullable<Int2>,
        response_body -> Nullable<Jsonb>,
        response_location -> Nullable<Text>,
        response_etag -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    reprocurement_lead_times (min_total_value_pence) {
        min_total_value_pence -> Int8,
        lead_time_months -> Int2,
    }
}

diesel::table! {
    risks (id) {
        id -> Uuid,
        authority_id -> Uuid,
        reference -> Text,
        title -> Text,
        description -> Text,
        likelihood -> Int2,
        impact -> Int2,
        score -> Nullable<Int2>,
        mitigation -> Text,
        owner -> Text,
        status -> Text,
        intention_id -> Nullable<Uuid>,
        contract_id -> Nullable<Uuid>,
        pid_id -> Nullable<Uuid>,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    reference_counters (authority_id, kind, year) {
        authority_id -> Uuid,
        kind -> Text,
        year -> Int4,
        last_number -> Int4,
    }
}

diesel::joinable!(commissioning_intentions -> authorities (authority_id));
diesel::joinable!(contracts -> authorities (authority_id));
diesel::joinable!(contracts -> categories (category_id));
diesel::joinable!(contracts -> commissioning_intentions (intention_id));
diesel::joinable!(risks -> authorities (authority_id));
diesel::joinable!(risks -> commissioning_intentions (intention_id));
diesel::joinable!(risks -> contracts (contract_id));
diesel::joinable!(commissioning_intentions -> categories (category_id));
diesel::joinable!(reference_counters -> authorities (authority_id));

diesel::table! {
    collaboration_opportunities (id) {
        id -> Uuid,
        lead_authority_id -> Uuid,
        reference -> Text,
        title -> Text,
        description -> Text,
        category_id -> Uuid,
        financial_year -> Text,
        status -> Text,
        estimated_savings_pence -> Nullable<Int8>,
        achieved_savings_pence -> Nullable<Int8>,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    collaboration_participants (opportunity_id, authority_id) {
        opportunity_id -> Uuid,
        authority_id -> Uuid,
        status -> Text,
        intention_ids -> Array<Uuid>,
        updated_by -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    collaboration_notes (id) {
        id -> Uuid,
        opportunity_id -> Uuid,
        authority_id -> Uuid,
        author -> Text,
        noted_on -> Date,
        body -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    benchmark_metrics (id) {
        id -> Uuid,
        code -> Text,
        name -> Text,
        description -> Text,
        unit -> Text,
        better -> Text,
        created_by -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    benchmark_observations (id) {
        id -> Uuid,
        metric_id -> Uuid,
        authority_id -> Uuid,
        period -> Text,
        value -> Int8,
        source_note -> Text,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(collaboration_opportunities -> authorities (lead_authority_id));
diesel::joinable!(collaboration_opportunities -> categories (category_id));
diesel::joinable!(collaboration_participants -> authorities (authority_id));
diesel::joinable!(collaboration_participants -> collaboration_opportunities (opportunity_id));
diesel::joinable!(collaboration_notes -> authorities (authority_id));
diesel::joinable!(collaboration_notes -> collaboration_opportunities (opportunity_id));
diesel::joinable!(benchmark_observations -> authorities (authority_id));
diesel::joinable!(benchmark_observations -> benchmark_metrics (metric_id));
diesel::allow_tables_to_appear_in_same_query!(collaboration_opportunities, authorities);
diesel::allow_tables_to_appear_in_same_query!(collaboration_opportunities, categories);
diesel::allow_tables_to_appear_in_same_query!(collaboration_participants, authorities);
diesel::allow_tables_to_appear_in_same_query!(
    collaboration_participants,
    collaboration_opportunities
);
diesel::allow_tables_to_appear_in_same_query!(collaboration_notes, authorities);
diesel::allow_tables_to_appear_in_same_query!(collaboration_notes, collaboration_opportunities);
diesel::allow_tables_to_appear_in_same_query!(benchmark_observations, authorities);
diesel::allow_tables_to_appear_in_same_query!(benchmark_observations, benchmark_metrics);
diesel::allow_tables_to_appear_in_same_query!(benchmark_metrics, authorities);

diesel::table! {
    team_posts (id) {
        id -> Uuid,
        authority_id -> Uuid,
        team -> Text,
        title -> Text,
        grade -> Text,
        contracted_hours_hundredths -> Int4,
        full_time_hours_hundredths -> Int4,
        status -> Text,
        reports_to -> Nullable<Uuid>,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    capacity_demands (id) {
        id -> Uuid,
        authority_id -> Uuid,
        intention_id -> Nullable<Uuid>,
        contract_id -> Nullable<Uuid>,
        activity_name -> Nullable<Text>,
        tranche -> Int2,
        team -> Text,
        financial_year -> Text,
        fte_hundredths -> Int4,
        note -> Text,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(team_posts -> authorities (authority_id));
diesel::joinable!(capacity_demands -> authorities (authority_id));
diesel::allow_tables_to_appear_in_same_query!(team_posts, authorities);
diesel::allow_tables_to_appear_in_same_query!(capacity_demands, authorities);

diesel::table! {
    social_value_editions (id) {
        id -> Uuid,
        code -> Text,
        name -> Text,
        effective_from -> Date,
        created_by -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    social_value_measures (id) {
        id -> Uuid,
        edition_id -> Uuid,
        position -> Int4,
        theme_code -> Text,
        theme_name -> Text,
        outcome_code -> Text,
        outcome_name -> Text,
        code -> Text,
        description -> Text,
        unit -> Text,
        proxy_value_pence -> Int8,
    }
}

diesel::table! {
    social_value_commitments (id) {
        id -> Uuid,
        authority_id -> Uuid,
        contract_id -> Nullable<Uuid>,
        measure_id -> Uuid,
        proxy_value_pence -> Int8,
        target_quantity -> Int8,
        period_from -> Date,
        period_to -> Date,
        committed_on -> Date,
        note -> Text,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        priority_id -> Uuid,
        pid_id -> Nullable<Uuid>,
        lot -> Nullable<Int2>,
    }
}

diesel::table! {
    social_value_returns (id) {
        id -> Uuid,
        commitment_id -> Uuid,
        period_from -> Date,
        period_to -> Date,
        quantity -> Int8,
        evidence -> Text,
        superseded_by -> Nullable<Uuid>,
        created_by -> Text,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(social_value_measures -> social_value_editions (edition_id));
diesel::joinable!(social_value_commitments -> social_value_measures (measure_id));
diesel::joinable!(social_value_returns -> social_value_commitments (commitment_id));
diesel::allow_tables_to_appear_in_same_query!(social_value_measures, social_value_editions);
diesel::allow_tables_to_appear_in_same_query!(social_value_commitments, social_value_measures);
diesel::allow_tables_to_appear_in_same_query!(social_value_returns, social_value_commitments);

diesel::table! {
    savings_lines (id) {
        id -> Uuid,
        authority_id -> Uuid,
        intention_id -> Nullable<Uuid>,
        contract_id -> Nullable<Uuid>,
        opportunity_id -> Nullable<Uuid>,
        financial_year -> Text,
        months -> Array<Int8>,
        amount_pence -> Int8,
        risk_adjusted_pence -> Int8,
        cashable -> Bool,
        kind -> Text,
        confidence -> Text,
        probability -> Int2,
        status -> Text,
        budget_code -> Text,
        baseline_pence -> Int8,
        description -> Text,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    savings_snapshots (id) {
        id -> Uuid,
        label -> Text,
        scope -> Text,
        line_count -> Int4,
        taken_by -> Text,
        taken_at -> Timestamptz,
    }
}

diesel::joinable!(savings_lines -> authorities (authority_id));
diesel::allow_tables_to_appear_in_same_query!(savings_lines, authorities);

diesel::table! {
    pids (id) {
        id -> Uuid,
        authority_id -> Uuid,
        reference -> Text,
        intention_id -> Uuid,
        title -> Text,
        status -> Text,
        estimated_value_pence -> Nullable<Int8>,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        description -> Text,
        regime -> Text,
        contract_type -> Text,
        route -> Text,
        direct_award_justification -> Nullable<Text>,
        process_started_on -> Nullable<Date>,
        transparency_notice_due -> Bool,
        lots -> Jsonb,
        term_months -> Nullable<Int2>,
        extension_months -> Array<Int2>,
        milestones -> Jsonb,
        quality_weight -> Int2,
        price_weight -> Int2,
        social_value_weight -> Int2,
        social_value_priorities -> Array<Text>,
        social_value_measures -> Array<Text>,
        submission -> Int4,
        required_sign_offs -> Array<Text>,
    }
}

diesel::joinable!(pids -> authorities (authority_id));
diesel::joinable!(pids -> commissioning_intentions (intention_id));

diesel::table! {
    pid_sign_offs (id) {
        id -> Uuid,
        pid_id -> Uuid,
        submission -> Int4,
        role -> Text,
        outcome -> Text,
        reasons -> Nullable<Text>,
        signed_by -> Text,
        signed_at -> Timestamptz,
    }
}

diesel::table! {
    sign_off_rules (authority_id, position) {
        authority_id -> Uuid,
        position -> Int4,
        role -> Text,
        min_value_pence -> Int8,
        routes -> Array<Text>,
        description -> Text,
    }
}

diesel::table! {
    procurement_thresholds (kind, effective_from) {
        kind -> Text,
        effective_from -> Date,
        value_pence -> Int8,
        note -> Text,
    }
}

diesel::table! {
    pid_lot_awards (pid_id, lot) {
        id -> Uuid,
        pid_id -> Uuid,
        lot -> Int2,
        supplier_name -> Text,
        awarded_on -> Date,
        awarded_value_pence -> Nullable<Int8>,
        contract_id -> Nullable<Uuid>,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(pid_sign_offs -> pids (pid_id));
diesel::joinable!(pid_lot_awards -> pids (pid_id));
diesel::joinable!(pid_lot_awards -> contracts (contract_id));
diesel::joinable!(sign_off_rules -> authorities (authority_id));
diesel::allow_tables_to_appear_in_same_query!(pid_sign_offs, pids);
diesel::allow_tables_to_appear_in_same_query!(pid_lot_awards, pids);
diesel::allow_tables_to_appear_in_same_query!(pid_lot_awards, contracts);
diesel::allow_tables_to_appear_in_same_query!(sign_off_rules, authorities);

// Governance: waivers, breaches, spend lines.
diesel::table! {
    waiver_approver_rules (min_value_pence) {
        min_value_pence -> Int8,
        approver -> Text,
    }
}

diesel::table! {
    waivers (id) {
        id -> Uuid,
        authority_id -> Uuid,
        reference -> Text,
        pid_id -> Nullable<Uuid>,
        contract_id -> Nullable<Uuid>,
        reason -> Text,
        justification -> Text,
        value_pence -> Int8,
        period_start -> Date,
        period_end -> Date,
        requested_on -> Date,
        approver -> Text,
        status -> Text,
        decided_on -> Nullable<Date>,
        decided_by -> Nullable<Text>,
        decision_note -> Nullable<Text>,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    breaches (id) {
        id -> Uuid,
        authority_id -> Uuid,
        reference -> Text,
        pid_id -> Nullable<Uuid>,
        contract_id -> Nullable<Uuid>,
        kind -> Text,
        how_found -> Text,
        description -> Text,
        remedy -> Text,
        value_pence -> Int8,
        identified_on -> Date,
        status -> Text,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    spend_lines (id) {
        id -> Uuid,
        authority_id -> Uuid,
        reference -> Text,
        body -> Text,
        payment_date -> Date,
        supplier_name -> Text,
        supplier_key -> Text,
        amount_pence -> Int8,
        expense_type -> Text,
        contract_id -> Nullable<Uuid>,
        created_by -> Text,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(waivers -> authorities (authority_id));
diesel::joinable!(breaches -> authorities (authority_id));
diesel::joinable!(spend_lines -> authorities (authority_id));
diesel::allow_tables_to_appear_in_same_query!(waivers, authorities);
diesel::allow_tables_to_appear_in_same_query!(breaches, authorities);
diesel::allow_tables_to_appear_in_same_query!(spend_lines, authorities);

diesel::table! {
    social_value_priorities (id) {
        id -> Uuid,
        authority_id -> Uuid,
        code -> Text,
        name -> Text,
        description -> Text,
        measure_codes -> Array<Text>,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(social_value_priorities -> authorities (authority_id));
diesel::joinable!(social_value_commitments -> social_value_priorities (priority_id));
diesel::allow_tables_to_appear_in_same_query!(social_value_priorities, authorities);
diesel::allow_tables_to_appear_in_same_query!(social_value_commitments, social_value_priorities);

diesel::table! {
    webhook_subscriptions (id) {
        id -> Uuid,
        authority_code -> Text,
        url -> Text,
        event_types -> Array<Text>,
        secret -> Text,
        description -> Text,
        active -> Bool,
        cursor_txid -> Int8,
        cursor_id -> Uuid,
        lease_until -> Nullable<Timestamptz>,
        lease_token -> Nullable<Uuid>,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Uuid,
        seq -> Int8,
        subscription_id -> Uuid,
        event_id -> Uuid,
        event_type -> Text,
        payload -> Jsonb,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        first_attempt_at -> Nullable<Timestamptz>,
        last_attempt_at -> Nullable<Timestamptz>,
        last_status_code -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        redelivery_of -> Nullable<Uuid>,
        created_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
        failed_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(webhook_deliveries -> webhook_subscriptions (subscription_id));
diesel::allow_tables_to_appear_in_same_query!(webhook_deliveries, webhook_subscriptions);

diesel::allow_tables_to_appear_in_same_query!(
    audit_events,
    authorities,
    categories,
    commissioning_intentions,
    contracts,
    idempotency_keys,
    pids,
    reference_counters,
    reprocurement_lead_times,
    risks,
);
