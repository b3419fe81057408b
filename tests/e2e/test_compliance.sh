#!/usr/bin/env bash
# Compliance service through the gateway: grounded answers with citations, refusals, browsing,
# bad input, and the optional LLM step against a fake OpenAI-compatible endpoint.
E2E_SERVICES="compliance"
source "$(dirname "$0")/lib.sh"

ask() { # json-body
    reqk POST "$GW/api/compliance/ask" -H 'Content-Type: application/json' --data-binary "$1"
}

t_answerable_question_cites_the_right_article() {
    ask '{"question":"Landlords say it is pointless to insulate because tenants pocket the savings. Does EU efficiency law ask governments to tackle that?"}'
    expect_status 200
    expect_json .refused false
    expect_json '.citations|length > 0' true
    expect_json '[.citations[].article]|index("Article 19") != null' true
    expect_json '.citations[0].celex // .citations[0].document' 32012L0027
    expect_json '.answer|test("\\[P[0-9]+\\]")' true
    expect_json .answered_by extractive
}

t_off_topic_question_is_refused() {
    ask '{"question":"How do I bake a chocolate cake?"}'
    expect_status 200
    expect_json .refused true
    expect_json .reason off_topic
    expect_json '.citations|length' 0
    expect_json .answer null
}

t_document_filter_and_top_k() {
    ask '{"question":"energy audits for large enterprises","top_k":2,"document":"32012L0027"}'
    expect_status 200
    expect_json '.citations|length <= 2' true
    expect_json '[.citations[]|select(.amendment|not)|.document]|unique' '[
  "32012L0027"
]'
}

t_top_k_bounds_citations_and_zero_means_the_default() {
    # an amended EED article: the amending article is cited too, but within top_k
    for k in 1 2 3; do
        ask "{\"question\":\"Must gas customers get individual meters showing actual time of use?\",\"top_k\":$k}"
        expect_status 200
        expect_json ".citations|length <= $k" true
    done
    ask '{"question":"Must gas customers get individual meters showing actual time of use?","top_k":2}'
    expect_json '[.citations[]|select(.amendment)]|length' 1
    ask '{"question":"Do large companies have to do energy audits?","top_k":0}'
    expect_status 200
    expect_json '.citations|length' 5
    expect_json '[.citations[].article]|index("Annex XIV")' null
    expect_json '[.citations[].status]|index("deleted")' null
}

t_bad_input_is_400_with_a_clear_code() {
    ask '{"question":""}'
    expect_status 400
    expect_error_shape empty_question
    ask '{"top_k":3}'
    expect_status 400
    expect_error_shape missing_question
    ask '{"question":42}'
    expect_status 400
    expect_error_shape invalid_question
    ask "{\"question\":\"$(head -c 11000 /dev/zero | tr '\0' 'a')\"}"
    expect_status 400
    expect_error_shape question_too_long
    ask '{"question":"energy audits","top_k":500}'
    expect_status 400
    expect_error_shape invalid_top_k
    printf '{"question":"caf\xff"}' >"$T/bad.json"
    reqk POST "$GW/api/compliance/ask" -H 'Content-Type: application/json' --data-binary "@$T/bad.json"
    expect_status 400
    expect_error_shape invalid_utf8
    ask '{"question":"energy \u0000 audits"}'
    expect_status 400
    expect_error_shape invalid_utf8
    ask '{"question":"energy \ud800 audits"}'
    expect_status 400
    expect_error_shape invalid_utf8
    ask '{"question":"energy audits","topk":3}'
    expect_status 400
    expect_error_shape unknown_field
    expect_json '.error.message|test("topk")' true
    ask '{"question":"energy audits","top_k":-1}'
    expect_status 400
    expect_error_shape invalid_top_k
    ask '{"question":'
    expect_status 400
    expect_error_shape invalid_json
    reqk POST "$GW/api/compliance/ask" -H 'Content-Type: text/plain' --data-binary 'hello'
    expect_status 415
    expect_error_shape unsupported_media_type
    ask '{"question":"energy audits","document":"NOPE"}'
    expect_status 404
}

t_browse_documents_and_articles() {
    req GET "$GW/api/compliance/documents"
    expect_status 200
    expect_json '.documents|length' 4
    req GET "$GW/api/compliance/documents/32012L0027/articles/7"
    expect_status 200
    body | grep -qi 'obligation' || fail "article 7 text lacks 'obligation'"
    req GET "$GW/api/compliance/documents/32012L0027/articles/999"
    expect_status 404
    expect_error_shape
    # the act number form, as documented, and the status of a deleted article
    req GET "$GW/api/compliance/documents/2012/27/articles/4"
    expect_status 200
    expect_json .celex 32012L0027
    expect_json .status deleted
    expect_json .status_by 'Article 54(1) of Regulation (EU) 2018/1999'
    req GET "$GW/api/compliance/documents/2012%2F27/articles/Annex%20XIV"
    expect_status 200
    expect_json .status deleted
    expect_json .status_from '1 January 2021'
    req GET "$GW/api/compliance/documents/2019/944/articles/70"
    expect_status 200
    expect_json .status in_force
    req GET "$GW/api/compliance/documents/2099/1/articles/1"
    expect_status 404
    expect_error_shape unknown_document
    req GET "$GW/api/compliance/documents/..%2F..%2Fetc%2Fpasswd/articles/1"
    expect_status 404
}

t_wordnet_reranker_loaded_and_other_languages_refused() {
    req GET "$GW/api/compliance/info"
    expect_status 200
    expect_json .wordnet true
    expect_json .reranker true
    expect_json .refusal_model true
    ask '{"question":"Müssen große Unternehmen regelmäßig ein Energieaudit durchführen?"}'
    expect_status 200
    expect_json .refused true
    expect_json .reason unsupported_language
    expect_json '.reason_message|test("English")' true
    ask '{"question":"Can a supplier pay into a national pot of money instead of delivering savings?"}'
    expect_status 200
    expect_json '[.debug.expansions[].source]|length > 0' true
}

t_metrics_count_questions_and_refusals() {
    req GET "http://127.0.0.1:${PORT_OF[compliance]}/metrics"
    grep -q '^gf_compliance_questions_total{outcome="answered"} [1-9]' "$BODY_FILE" || fail "answered not counted"
    grep -q '^gf_compliance_refusals_total{reason="off_topic"} [1-9]' "$BODY_FILE" || fail "refusal not counted"
    grep -q '^gf_compliance_retrieval_seconds_count [1-9]' "$BODY_FILE" || fail "no retrieval histogram"
}

# A fake OpenAI-compatible endpoint in the given mode; prints its base URL.
start_fake_llm() {
    local mode=$1 log="$T/fake-llm-$1.log"
    GF_PORT=0 GF_FAKE_LLM_MODE=$mode GF_DRAIN_SECONDS=0 "$BUILD/bin/cmp-fake-llm" >"$log" 2>&1 &
    echo "fake-llm $!" >>"$T/pids"
    local port=""
    for _ in $(seq 100); do
        port=$(grep -m1 -o '"port":[0-9]*' "$log" | cut -d: -f2)
        [ -n "$port" ] && break
        sleep 0.05
    done
    echo "http://127.0.0.1:$port/v1"
}

ask_direct() {
    req POST "http://127.0.0.1:${PORT_OF[compliance]}/v1/ask" -H 'Content-Type: application/json' \
        --data-binary '{"question":"What must large enterprises do about energy audits?"}'
}

t_llm_answer_is_used_when_it_cites_retrieved_passages() {
    local url
    url=$(start_fake_llm cited)
    start_service compliance GF_COMPLIANCE_LLM_URL="$url" GF_COMPLIANCE_LLM_TIMEOUT=2
    ask_direct
    expect_status 200
    expect_json .answered_by llm
    expect_json .llm.used true
    expect_json '.answer|startswith("LLM:")' true
    expect_json '.citations|length > 0' true
}

t_llm_uncited_or_unknown_citation_falls_back_to_extractive() {
    local url
    for mode in uncited unknown error; do
        url=$(start_fake_llm $mode)
        start_service compliance GF_COMPLIANCE_LLM_URL="$url" GF_COMPLIANCE_LLM_TIMEOUT=2
        ask_direct
        expect_status 200
        expect_json .answered_by extractive
        expect_json .llm.used false
        expect_json '.llm.fallback|length > 0' true
        expect_json '.answer|test("\\[P[0-9]+\\]")' true
    done
}

t_llm_timeout_falls_back_quickly() {
    local url t0
    url=$(start_fake_llm slow)
    start_service compliance GF_COMPLIANCE_LLM_URL="$url" GF_COMPLIANCE_LLM_TIMEOUT=1
    t0=$SECONDS
    ask_direct
    expect_status 200
    expect_json .llm.fallback llm_timeout
    expect_json .answered_by extractive
    [ $((SECONDS - t0)) -lt 10 ] || fail "fallback took $((SECONDS - t0)) s"
}

e2e_main
