/// The PostgreSQL schema: the same tables, columns, keys and append-only rules as SQLite's migrations
/// (``AppDatabase/migrator``), written for PostgreSQL 15 and the servers that speak its protocol.
///
/// Named migrations, applied once each in order and recorded in `zerotrip_migrations`; never edit one that has
/// shipped — a change to the schema is a new migration here and a new one for SQLite. Only plain SQL and PL/pgSQL
/// trigger functions: `bigint`, `text`, `bytea`, `timestamptz`, `bigserial`, partial indexes, advisory locks
/// (docs/deployment.md lists them). Differences from SQLite, none visible to the stores:
/// - dates are `timestamptz` (SQLite: UTC text), both kept to the millisecond;
/// - tables the stores list "in insertion order" without an id of their own (`signing_keys`, `root_links`, and since
///   2026-12-11 `online_keys`) carry an
///   explicit `rowid bigserial`, SQLite's implicit row id;
/// - department codes are upper-case by validation, so SQLite's `COLLATE NOCASE` needs no counterpart;
/// - the append-only rules also refuse `TRUNCATE`, which bypasses row triggers.
enum PostgresSchema {
    struct Migration: Sendable {
        let name: String
        let sql: String
    }

    /// `refuse(table, rule)`: the append-only rules as triggers, one function for all of them.
    private static func refuse(_ table: String, _ trigger: String, _ event: String, _ message: String, when condition: String? = nil) -> String {
        let when = condition.map { " WHEN (\($0))" } ?? ""
        return "CREATE TRIGGER \(trigger) BEFORE \(event) ON \(table) FOR EACH ROW\(when) EXECUTE PROCEDURE zerotrip_refuse('\(message)');\n"
    }

    private static func appendOnly(_ table: String, _ message: String) -> String {
        refuse(table, "\(table)_no_update", "UPDATE", message) + refuse(table, "\(table)_no_delete", "DELETE", message) + noTruncate(table, message)
    }

    private static func noTruncate(_ table: String, _ message: String) -> String {
        "CREATE TRIGGER \(table)_no_truncate BEFORE TRUNCATE ON \(table) FOR EACH STATEMENT EXECUTE PROCEDURE zerotrip_refuse('\(message)');\n"
    }

    private static func noDelete(_ table: String, _ message: String) -> String {
        refuse(table, "\(table)_no_delete", "DELETE", message) + noTruncate(table, message)
    }

    static let migrations: [Migration] = [
        Migration(name: "2026-12-04 schema of SQLite migrations 2026-11-22 … 2026-12-03", sql: initial),
        // A signed PDF is deflate-compressed already: TOAST's attempt to compress it again cost about a millisecond
        // of the one writer's time per issuance and saved nothing. Stored out of line, uncompressed. (A storage
        // setting only: nothing for SQLite to match.)
        Migration(
            name: "2026-12-04 document PDFs stored without recompression",
            sql: "ALTER TABLE document_pdfs ALTER COLUMN pdf SET STORAGE EXTERNAL"),
        Migration(
            name: "2026-12-04 identity: device-login challenges in the database, shared by every daemon",
            sql: """
                CREATE TABLE device_challenges (
                    id TEXT PRIMARY KEY CHECK (length(id) = 32),
                    device_id TEXT NOT NULL,
                    nonce TEXT NOT NULL,
                    expires_at TIMESTAMPTZ NOT NULL
                );
                CREATE INDEX device_challenges_expiry ON device_challenges(expires_at);
                """),
        Migration(
            name: "2026-12-04 documents: the holder's switch for the public link to the original PDF",
            sql: """
                CREATE TABLE document_sharing (
                    document_id TEXT PRIMARY KEY REFERENCES documents(id),
                    pdf_link BIGINT NOT NULL CHECK (pdf_link IN (0, 1)),
                    changed_at TIMESTAMPTZ NOT NULL,
                    changed_by TEXT NOT NULL
                );
                """),
        Migration(
            name: "2026-12-04 audit: events by target, for a person's own list of who looked at their data",
            sql: "CREATE INDEX audit_events_target ON audit_events(target, seq);"),
        Migration(
            name: "2026-12-04 documents: the revoked and superseded, indexed for the status list",
            sql: "CREATE INDEX documents_not_valid ON documents(id) WHERE status <> 'valid';"),
        Migration(
            name: "2026-12-04 window stations: clerks signed in with their department's credential",
            sql: """
                CREATE TABLE window_sessions (
                    id TEXT PRIMARY KEY CHECK (length(id) = 32),
                    secret_hash BYTEA NOT NULL,
                    credential_id TEXT NOT NULL REFERENCES credentials(id),
                    clerk_id TEXT NOT NULL,
                    clerk_name TEXT NOT NULL,
                    station TEXT NOT NULL,
                    created_at TIMESTAMPTZ NOT NULL,
                    expires_at TIMESTAMPTZ NOT NULL,
                    last_seen_at TIMESTAMPTZ NOT NULL,
                    ended_at TIMESTAMPTZ
                );
                """),
        Migration(
            name: "2026-12-04 district: the province and city above it, for the full issuing-authority name",
            sql: """
                ALTER TABLE district ADD COLUMN province TEXT NOT NULL DEFAULT '';
                ALTER TABLE district ADD COLUMN city TEXT NOT NULL DEFAULT '';
                """),
        Migration(
            name: "2026-12-04 documents: organisations as holders, by unified social credit code",
            sql: """
                ALTER TABLE documents ADD COLUMN holder_kind TEXT NOT NULL DEFAULT 'person' CHECK (holder_kind IN ('person', 'organization'));
                """),
        Migration(
            name: "2026-12-04 consent: a person's grants that a department may reuse their results for a matter",
            sql: """
                CREATE TABLE consent_grants (
                    id TEXT PRIMARY KEY CHECK (length(id) = 32),
                    subject TEXT NOT NULL,
                    department TEXT NOT NULL,
                    matter TEXT NOT NULL,
                    result_types TEXT NOT NULL,
                    granted_at TIMESTAMPTZ NOT NULL,
                    expires_at TIMESTAMPTZ NOT NULL,
                    channel TEXT NOT NULL CHECK (channel IN ('app', 'window')),
                    granted_by TEXT NOT NULL,
                    assurance_tier BIGINT NOT NULL,
                    withdrawn_at TIMESTAMPTZ,
                    withdrawn_by TEXT
                );
                CREATE INDEX consent_grants_subject ON consent_grants(subject, department, matter);
                """ + noDelete("consent_grants", "consent grants are never deleted")
                    + refuse(
                        "consent_grants", "consent_grants_withdraw_only", "UPDATE", "a consent grant changes only by being withdrawn, once",
                        when: "OLD.withdrawn_at IS NOT NULL OR (NEW.id, NEW.subject, NEW.department, NEW.matter, NEW.result_types, NEW.granted_at, "
                            + "NEW.expires_at, NEW.channel, NEW.granted_by, NEW.assurance_tier) IS DISTINCT FROM (OLD.id, OLD.subject, OLD.department, "
                            + "OLD.matter, OLD.result_types, OLD.granted_at, OLD.expires_at, OLD.channel, OLD.granted_by, OLD.assurance_tier)")),
        Migration(
            name: "2026-12-04 applications: a material satisfied by a reused result names the document",
            sql: "ALTER TABLE application_materials ADD COLUMN document_id TEXT REFERENCES documents(id);"),
        Migration(
            name: "2026-12-04 credit subjects: an organisation's legal representative, who consents for it",
            sql: "ALTER TABLE credit_organizations ADD COLUMN legal_representative TEXT;"),
        Migration(
            name: "2026-12-05 consent: a grant for the life of one application",
            sql: """
                ALTER TABLE consent_grants ADD COLUMN lifetime TEXT NOT NULL DEFAULT 'days' CHECK (lifetime IN ('days', 'application'));
                ALTER TABLE consent_grants ADD COLUMN application_id TEXT REFERENCES applications(id);
                ALTER TABLE consent_grants ADD COLUMN ended_at TIMESTAMPTZ;
                CREATE INDEX consent_grants_application ON consent_grants(application_id) WHERE application_id IS NOT NULL;
                DROP TRIGGER consent_grants_withdraw_only ON consent_grants;
                """
                    + refuse(
                        "consent_grants", "consent_grants_bind_end_withdraw_only", "UPDATE",
                        "a consent grant changes only by being bound to an application, ended or withdrawn, once each",
                        when: "OLD.withdrawn_at IS NOT NULL OR OLD.ended_at IS NOT NULL OR (NEW.id, NEW.subject, NEW.department, NEW.matter, "
                            + "NEW.result_types, NEW.granted_at, NEW.expires_at, NEW.channel, NEW.granted_by, NEW.assurance_tier, NEW.lifetime) "
                            + "IS DISTINCT FROM (OLD.id, OLD.subject, OLD.department, OLD.matter, OLD.result_types, OLD.granted_at, OLD.expires_at, "
                            + "OLD.channel, OLD.granted_by, OLD.assurance_tier, OLD.lifetime) "
                            + "OR (OLD.application_id IS NOT NULL AND NEW.application_id IS DISTINCT FROM OLD.application_id)")),
        Migration(
            name: "2026-12-05 evaluation: ratings of finished services",
            sql: """
                CREATE TABLE service_ratings (
                    id TEXT PRIMARY KEY CHECK (length(id) = 32),
                    application_id TEXT NOT NULL UNIQUE REFERENCES applications(id),
                    subject TEXT NOT NULL,
                    department TEXT NOT NULL,
                    matter TEXT NOT NULL,
                    clerk TEXT,
                    outcome TEXT NOT NULL CHECK (outcome IN ('closed', 'rejected')),
                    invited_at TIMESTAMPTZ NOT NULL,
                    closes_at TIMESTAMPTZ NOT NULL,
                    rated_at TIMESTAMPTZ,
                    score BIGINT CHECK (score BETWEEN 1 AND 5),
                    tags TEXT NOT NULL DEFAULT '[]',
                    comment TEXT CHECK (comment IS NULL OR length(comment) <= 200)
                );
                CREATE INDEX service_ratings_subject ON service_ratings(subject, invited_at);
                CREATE INDEX service_ratings_rated ON service_ratings(rated_at) WHERE rated_at IS NOT NULL;
                """ + noDelete("service_ratings", "ratings are never deleted")
                    + refuse(
                        "service_ratings", "service_ratings_rate_once", "UPDATE", "a service is rated once, and the rating is kept as given",
                        when: "OLD.rated_at IS NOT NULL OR NEW.rated_at IS NULL OR NEW.score IS NULL OR (NEW.id, NEW.application_id, NEW.subject, "
                            + "NEW.department, NEW.matter, NEW.clerk, NEW.outcome, NEW.invited_at, NEW.closes_at) IS DISTINCT FROM (OLD.id, "
                            + "OLD.application_id, OLD.subject, OLD.department, OLD.matter, OLD.clerk, OLD.outcome, OLD.invited_at, OLD.closes_at)")),
        Migration(
            name: "2026-12-05 supervision: staff directory and review escalation",
            sql: """
                CREATE TABLE staff (
                    department TEXT NOT NULL,
                    clerk TEXT NOT NULL,
                    name TEXT NOT NULL,
                    phone TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('reviewer', 'supervisor')),
                    added_at TIMESTAMPTZ NOT NULL,
                    added_by TEXT NOT NULL,
                    PRIMARY KEY (department, clerk)
                );
                ALTER TABLE applications ADD COLUMN review_escalate_at TIMESTAMPTZ;
                ALTER TABLE sms_outbox DROP CONSTRAINT sms_outbox_person_id_fkey;
                """),
        Migration(
            name: "2026-12-05 demand: residents' stated service needs",
            sql: """
                CREATE TABLE service_needs (
                    subject TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('schooling', 'public_housing', 'settlement', 'business_loan', 'other')),
                    year BIGINT NOT NULL CHECK (year BETWEEN 2000 AND 2200),
                    detail TEXT NOT NULL DEFAULT '' CHECK (length(detail) <= 200),
                    stated_at TIMESTAMPTZ NOT NULL,
                    PRIMARY KEY (subject, kind, year)
                );
                CREATE INDEX service_needs_year ON service_needs(year, kind);
                """),
        Migration(
            name: "2026-12-06 points: schemes, scoring runs, claims and disputes",
            sql: """
                CREATE TABLE points_policy_versions (
                    version BIGSERIAL PRIMARY KEY,
                    source BYTEA NOT NULL,
                    parsed TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    created_by TEXT NOT NULL,
                    created_at TIMESTAMPTZ NOT NULL
                );
                CREATE TABLE points_runs (
                    id BIGSERIAL PRIMARY KEY,
                    period TEXT UNIQUE,
                    as_of TIMESTAMPTZ NOT NULL,
                    policy_version BIGINT NOT NULL REFERENCES points_policy_versions(version),
                    started_at TIMESTAMPTZ NOT NULL,
                    started_by TEXT NOT NULL,
                    heartbeat_at TIMESTAMPTZ NOT NULL,
                    finished_at TIMESTAMPTZ,
                    persons BIGINT NOT NULL DEFAULT 0
                );
                CREATE TABLE points_scores (
                    run_id BIGINT NOT NULL REFERENCES points_runs(id),
                    subject TEXT NOT NULL,
                    total BIGINT NOT NULL,
                    items TEXT NOT NULL,
                    PRIMARY KEY (run_id, subject)
                );
                CREATE TABLE points_claims (
                    id TEXT PRIMARY KEY CHECK (length(id) = 32),
                    subject TEXT NOT NULL,
                    indicator TEXT NOT NULL,
                    option TEXT NOT NULL,
                    statement TEXT NOT NULL CHECK (length(statement) <= 200),
                    evidence BYTEA,
                    evidence_type TEXT,
                    department TEXT NOT NULL,
                    policy_version BIGINT NOT NULL REFERENCES points_policy_versions(version),
                    submitted_at TIMESTAMPTZ NOT NULL,
                    decision TEXT CHECK (decision IN ('approved', 'rejected')),
                    decided_by TEXT,
                    decided_at TIMESTAMPTZ,
                    reason TEXT
                );
                CREATE UNIQUE INDEX points_claims_open ON points_claims(subject, indicator) WHERE decision IS NULL;
                CREATE INDEX points_claims_subject ON points_claims(subject, submitted_at);
                CREATE INDEX points_claims_pending ON points_claims(department, submitted_at) WHERE decision IS NULL;
                CREATE TABLE points_disputes (
                    id TEXT PRIMARY KEY CHECK (length(id) = 32),
                    subject TEXT NOT NULL,
                    indicator TEXT NOT NULL,
                    run_id BIGINT REFERENCES points_runs(id),
                    claim_id TEXT UNIQUE REFERENCES points_claims(id),
                    policy_version BIGINT NOT NULL,
                    disputed_points BIGINT NOT NULL,
                    reason TEXT NOT NULL CHECK (length(reason) <= 200),
                    department TEXT NOT NULL,
                    first_reviewer TEXT,
                    filed_at TIMESTAMPTZ NOT NULL,
                    outcome TEXT CHECK (outcome IN ('upheld', 'corrected')),
                    points BIGINT,
                    decided_by TEXT,
                    decided_at TIMESTAMPTZ,
                    decision_reason TEXT,
                    CHECK ((run_id IS NULL) <> (claim_id IS NULL)),
                    UNIQUE (subject, indicator, run_id)
                );
                CREATE INDEX points_disputes_subject ON points_disputes(subject, filed_at);
                CREATE INDEX points_disputes_pending ON points_disputes(department, filed_at) WHERE outcome IS NULL;
                """ + appendOnly("points_policy_versions", "versions are append-only")
                    + noDelete("points_runs", "scoring runs are kept")
                    + refuse(
                        "points_runs", "points_runs_finished", "UPDATE", "a finished scoring run is kept as it is",
                        when: "OLD.finished_at IS NOT NULL")
                    + appendOnly("points_scores", "scores are append-only")
                    + noDelete("points_claims", "claims are kept")
                    + refuse(
                        "points_claims", "points_claims_decide_once", "UPDATE", "a claim is decided once",
                        when: "OLD.decision IS NOT NULL OR NEW.decision IS NULL OR (NEW.id, NEW.subject, NEW.indicator, NEW.option, NEW.statement, "
                            + "NEW.evidence, NEW.department, NEW.policy_version, NEW.submitted_at) IS DISTINCT FROM (OLD.id, OLD.subject, OLD.indicator, "
                            + "OLD.option, OLD.statement, OLD.evidence, OLD.department, OLD.policy_version, OLD.submitted_at)")
                    + noDelete("points_disputes", "disputes are kept")
                    + refuse(
                        "points_disputes", "points_disputes_decide_once", "UPDATE", "a dispute is decided once",
                        when: "OLD.outcome IS NOT NULL OR NEW.outcome IS NULL OR (NEW.id, NEW.subject, NEW.indicator, NEW.run_id, NEW.claim_id, "
                            + "NEW.policy_version, NEW.disputed_points, NEW.reason, NEW.department, NEW.first_reviewer, NEW.filed_at) IS DISTINCT FROM "
                            + "(OLD.id, OLD.subject, OLD.indicator, OLD.run_id, OLD.claim_id, OLD.policy_version, OLD.disputed_points, OLD.reason, "
                            + "OLD.department, OLD.first_reviewer, OLD.filed_at)")),
        Migration(
            name: "2026-12-06 sms: delivery to an operator",
            sql: """
                ALTER TABLE sms_outbox ADD COLUMN phone_sealed BYTEA;
                ALTER TABLE sms_outbox ADD COLUMN next_attempt_at TIMESTAMPTZ;
                ALTER TABLE sms_outbox ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
                ALTER TABLE sms_outbox ADD COLUMN delivered_at TIMESTAMPTZ;
                ALTER TABLE sms_outbox ADD COLUMN failure TEXT;
                CREATE INDEX sms_outbox_due ON sms_outbox(next_attempt_at) WHERE phone_sealed IS NOT NULL;
                """),
        Migration(
            name: "2026-12-07 figures: daily counts of applications and ratings",
            sql: """
                CREATE TABLE daily_figures (
                    kind TEXT NOT NULL,
                    day TEXT NOT NULL,
                    department TEXT NOT NULL,
                    label TEXT NOT NULL,
                    items BIGINT NOT NULL,
                    total BIGINT NOT NULL,
                    longest BIGINT NOT NULL,
                    extra BIGINT NOT NULL,
                    PRIMARY KEY (kind, day, department, label)
                );
                CREATE TABLE figures_built (
                    name TEXT PRIMARY KEY,
                    built_at TIMESTAMPTZ NOT NULL
                );
                CREATE INDEX applications_under_review ON applications(department_code, review_stall_at) WHERE state = 'under_review';
                INSERT INTO figures_built (name, built_at) SELECT 'daily_figures', date_trunc('milliseconds', now())
                    WHERE NOT EXISTS (SELECT 1 FROM applications) AND NOT EXISTS (SELECT 1 FROM service_ratings WHERE rated_at IS NOT NULL);
                """),
        Migration(
            name: "2026-12-07 points: a decided claim's proof may be cleared",
            sql: "DROP TRIGGER points_claims_decide_once ON points_claims;\n"
                + refuse(
                    "points_claims", "points_claims_decide_once", "UPDATE", "a claim is decided once; only its proof may be cleared after",
                    when:
                        "NOT ((NEW.id, NEW.subject, NEW.indicator, NEW.option, NEW.statement, NEW.evidence_type, NEW.department, NEW.policy_version, "
                        + "NEW.submitted_at) IS NOT DISTINCT FROM (OLD.id, OLD.subject, OLD.indicator, OLD.option, OLD.statement, OLD.evidence_type, "
                        + "OLD.department, OLD.policy_version, OLD.submitted_at) AND ((OLD.decision IS NULL AND NEW.decision IS NOT NULL "
                        + "AND NEW.evidence IS NOT DISTINCT FROM OLD.evidence) OR (OLD.decision IS NOT NULL AND NEW.evidence IS NULL "
                        + "AND (NEW.decision, NEW.decided_by, NEW.decided_at, NEW.reason) IS NOT DISTINCT FROM "
                        + "(OLD.decision, OLD.decided_by, OLD.decided_at, OLD.reason))))")),
        Migration(
            name: "2026-12-08 evaluation: window services rated without an application",
            sql: """
                ALTER TABLE service_ratings ALTER COLUMN application_id DROP NOT NULL;
                ALTER TABLE service_ratings ADD COLUMN service TEXT CHECK (service IS NULL OR length(service) <= 32);
                ALTER TABLE service_ratings DROP CONSTRAINT service_ratings_outcome_check;
                ALTER TABLE service_ratings ADD CONSTRAINT service_ratings_outcome_check CHECK (outcome IN ('closed', 'rejected', 'served'));
                ALTER TABLE service_ratings ADD CONSTRAINT service_ratings_kind
                    CHECK ((application_id IS NULL) = (service IS NOT NULL) AND (service IS NULL) = (outcome <> 'served'));
                DROP TRIGGER service_ratings_rate_once ON service_ratings;
                """
                    + refuse(
                        "service_ratings", "service_ratings_rate_once", "UPDATE", "a service is rated once, and the rating is kept as given",
                        when: "OLD.rated_at IS NOT NULL OR NEW.rated_at IS NULL OR NEW.score IS NULL OR (NEW.id, NEW.application_id, NEW.service, "
                            + "NEW.subject, NEW.department, NEW.matter, NEW.clerk, NEW.outcome, NEW.invited_at, NEW.closes_at) IS DISTINCT FROM "
                            + "(OLD.id, OLD.application_id, OLD.service, OLD.subject, OLD.department, OLD.matter, OLD.clerk, OLD.outcome, "
                            + "OLD.invited_at, OLD.closes_at)")),
        Migration(
            name: "2026-12-08 evaluation: complaints and their answers",
            sql: """
                CREATE TABLE complaints (
                    id TEXT PRIMARY KEY CHECK (length(id) = 32),
                    subject TEXT NOT NULL,
                    department TEXT NOT NULL,
                    clerk TEXT,
                    rating_id TEXT UNIQUE REFERENCES service_ratings(id),
                    source TEXT NOT NULL CHECK (source IN ('applicant', 'poor_rating')),
                    cause TEXT NOT NULL CHECK (length(cause) <= 32),
                    text TEXT NOT NULL CHECK (length(text) <= 500),
                    filed_at TIMESTAMPTZ NOT NULL,
                    due_at TIMESTAMPTZ NOT NULL,
                    answered_at TIMESTAMPTZ,
                    answered_by TEXT,
                    finding TEXT CHECK (finding IS NULL OR finding IN ('substantiated', 'partly_substantiated', 'unsubstantiated')),
                    action TEXT CHECK (action IS NULL OR length(action) <= 500),
                    reply TEXT CHECK (reply IS NULL OR length(reply) <= 500),
                    overdue_notified_at TIMESTAMPTZ,
                    CHECK ((answered_at IS NULL) = (finding IS NULL) AND (answered_at IS NULL) = (reply IS NULL) AND (answered_at IS NULL) = (answered_by IS NULL))
                );
                CREATE INDEX complaints_subject ON complaints(subject, filed_at);
                CREATE INDEX complaints_filed ON complaints(filed_at);
                CREATE INDEX complaints_open ON complaints(department, due_at) WHERE answered_at IS NULL;
                """ + noDelete("complaints", "complaints are never deleted")
                    + refuse(
                        "complaints", "complaints_answer_once", "UPDATE", "a complaint is answered once, and the answer is kept as given",
                        when: "NOT ((NEW.id, NEW.subject, NEW.department, NEW.clerk, NEW.rating_id, NEW.source, NEW.text, NEW.filed_at, NEW.due_at) "
                            + "IS NOT DISTINCT FROM (OLD.id, OLD.subject, OLD.department, OLD.clerk, OLD.rating_id, OLD.source, OLD.text, OLD.filed_at, "
                            + "OLD.due_at) AND ((OLD.answered_at IS NULL AND NEW.answered_at IS NOT NULL AND NEW.overdue_notified_at IS NOT DISTINCT FROM "
                            + "OLD.overdue_notified_at) OR ((NEW.answered_at, NEW.answered_by, NEW.finding, NEW.action, NEW.reply, NEW.cause) IS NOT DISTINCT "
                            + "FROM (OLD.answered_at, OLD.answered_by, OLD.finding, OLD.action, OLD.reply, OLD.cause) AND OLD.overdue_notified_at IS NULL "
                            + "AND NEW.overdue_notified_at IS NOT NULL)))")),
        Migration(
            name: "2026-12-09 keys: a seal key file may move into a token",
            sql: "DROP TRIGGER signing_keys_immutable ON signing_keys;\n"
                + refuse(
                    "signing_keys", "signing_keys_immutable", "UPDATE OF kid, department_id, role, algorithm, certificate",
                    "signing key material is immutable")
                + refuse(
                    "signing_keys", "signing_keys_key_file_into_token", "UPDATE OF key_file", "a key only moves from its file into a token",
                    when: "NEW.key_file IS DISTINCT FROM OLD.key_file AND (OLD.key_file LIKE 'pkcs11:%' OR NEW.key_file NOT LIKE 'pkcs11:%' "
                        + "OR OLD.role <> 'seal')")),
        Migration(
            name: "2026-12-10 keys: a root key file may be encrypted again under its own passphrase",
            sql: "DROP TRIGGER signing_keys_key_file_into_token ON signing_keys;\n"
                + refuse(
                    "signing_keys", "signing_keys_key_file_into_token", "UPDATE OF key_file",
                    "a key only moves from its file into a token, or a root key into a new file of its own",
                    when: "NEW.key_file IS DISTINCT FROM OLD.key_file AND (OLD.key_file LIKE 'pkcs11:%' OR NOT ((OLD.role = 'seal' "
                        + "AND NEW.key_file LIKE 'pkcs11:%') OR (OLD.role = 'root' AND NEW.key_file LIKE 'root-' || OLD.kid || '-%.key.pem')))")),
        Migration(
            name: "2026-12-11 keys: online signing keys certified by the root, and each root's last CRL",
            sql: """
                CREATE TABLE online_keys (
                    kid TEXT PRIMARY KEY,
                    root_kid TEXT NOT NULL REFERENCES signing_keys(kid),
                    algorithm TEXT NOT NULL,
                    certificate BYTEA NOT NULL,
                    key_file TEXT NOT NULL,
                    created_at TIMESTAMPTZ NOT NULL,
                    rowid BIGSERIAL NOT NULL UNIQUE
                );
                \(appendOnly("online_keys", "online keys are append-only"))
                CREATE TABLE root_crls (
                    root_kid TEXT PRIMARY KEY REFERENCES signing_keys(kid),
                    number BIGINT NOT NULL,
                    this_update TIMESTAMPTZ NOT NULL,
                    next_update TIMESTAMPTZ NOT NULL,
                    crl BYTEA NOT NULL
                );
                \(noDelete("root_crls", "a root keeps its last CRL"))
                """),
    ]

    private static let initial = """
        CREATE FUNCTION zerotrip_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '%', TG_ARGV[0];
        END
        $$;

        CREATE TABLE district (
            id BIGINT PRIMARY KEY CHECK (id = 1),
            name TEXT NOT NULL,
            root_kid TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE departments (
            id BIGSERIAL PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE signing_keys (
            kid TEXT PRIMARY KEY,
            department_id BIGINT REFERENCES departments(id),
            role TEXT NOT NULL CHECK (role IN ('root', 'seal')),
            algorithm TEXT NOT NULL,
            status TEXT NOT NULL,
            certificate BYTEA NOT NULL,
            key_file TEXT NOT NULL,
            not_before TIMESTAMPTZ NOT NULL,
            not_after TIMESTAMPTZ NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            activate_at TIMESTAMPTZ,
            retired_at TIMESTAMPTZ,
            revoked_at TIMESTAMPTZ,
            revoked_not_after TIMESTAMPTZ,
            revocation_reason TEXT,
            usage_count BIGINT NOT NULL DEFAULT 0,
            max_uses BIGINT,
            max_age_seconds BIGINT,
            rowid BIGSERIAL NOT NULL UNIQUE,
            CHECK ((role = 'root') = (department_id IS NULL))
        );
        CREATE INDEX signing_keys_department ON signing_keys(department_id);
        CREATE TABLE signing_key_history (
            id BIGSERIAL PRIMARY KEY,
            kid TEXT NOT NULL REFERENCES signing_keys(kid),
            status TEXT NOT NULL,
            reason TEXT NOT NULL,
            changed_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE credentials (
            id TEXT PRIMARY KEY,
            department_id BIGINT NOT NULL REFERENCES departments(id),
            label TEXT NOT NULL,
            scopes TEXT NOT NULL,
            secret_hash BYTEA NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            revoked_at TIMESTAMPTZ
        );
        CREATE TABLE credential_history (
            id BIGSERIAL PRIMARY KEY,
            credential_id TEXT NOT NULL REFERENCES credentials(id),
            change TEXT NOT NULL,
            changed_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE audit_events (
            seq BIGINT PRIMARY KEY,
            occurred_at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            outcome TEXT NOT NULL,
            details TEXT NOT NULL,
            prev_hash BYTEA NOT NULL,
            hash BYTEA NOT NULL
        );
        CREATE TABLE audit_head (
            id BIGINT PRIMARY KEY CHECK (id = 1),
            seq BIGINT NOT NULL,
            hash BYTEA NOT NULL
        );
        \(appendOnly("audit_events", "audit_events is append-only"))
        \(noDelete("departments", "departments are never deleted"))
        \(noDelete("signing_keys", "signing keys are never deleted"))
        \(refuse("signing_keys", "signing_keys_immutable", "UPDATE OF kid, department_id, role, algorithm, certificate, key_file", "signing key material is immutable"))
        \(refuse("signing_keys", "signing_keys_revoked_final", "UPDATE OF status", "a revoked key stays revoked", when: "OLD.status = 'revoked'"))
        \(noDelete("credentials", "credentials are never deleted; revoke them"))
        \(appendOnly("signing_key_history", "history is append-only"))
        \(appendOnly("credential_history", "history is append-only"))

        CREATE TABLE documents (
            id TEXT PRIMARY KEY CHECK (length(id) = 32),
            department_code TEXT NOT NULL,
            kid TEXT NOT NULL REFERENCES signing_keys(kid),
            matter_code TEXT NOT NULL,
            matter_name TEXT NOT NULL,
            holder_name TEXT NOT NULL,
            holder_id_number TEXT NOT NULL,
            fields TEXT NOT NULL,
            pickup_mode TEXT NOT NULL,
            issued_at TIMESTAMPTZ NOT NULL,
            valid_until TIMESTAMPTZ NOT NULL,
            issued_by TEXT NOT NULL,
            supersedes TEXT REFERENCES documents(id),
            pdf_sha256 BYTEA NOT NULL UNIQUE,
            content_sha256 BYTEA NOT NULL,
            token TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'revoked', 'superseded')),
            status_reason TEXT,
            status_changed_at TIMESTAMPTZ,
            superseded_by TEXT REFERENCES documents(id)
        );
        CREATE INDEX documents_holder ON documents(holder_id_number);
        CREATE INDEX documents_department ON documents(department_code, issued_at);
        CREATE TABLE document_pdfs (
            document_id TEXT PRIMARY KEY REFERENCES documents(id),
            pdf BYTEA NOT NULL
        );
        CREATE TABLE document_status_history (
            id BIGSERIAL PRIMARY KEY,
            document_id TEXT NOT NULL REFERENCES documents(id),
            status TEXT NOT NULL,
            reason TEXT NOT NULL,
            actor TEXT NOT NULL,
            changed_at TIMESTAMPTZ NOT NULL
        );
        \(noDelete("documents", "documents are never deleted; revoke them"))
        \(refuse("documents", "documents_immutable", "UPDATE OF id, department_code, kid, matter_code, matter_name, holder_name, holder_id_number, fields, pickup_mode, issued_at, valid_until, issued_by, supersedes, pdf_sha256, content_sha256, token", "issued documents are immutable; re-issue instead"))
        \(refuse("documents", "documents_status_once", "UPDATE OF status", "a revoked or superseded document cannot change status again", when: "OLD.status <> 'valid'"))
        \(refuse("document_pdfs", "document_pdfs_no_change", "UPDATE", "issued documents are immutable; re-issue instead"))
        \(noDelete("document_pdfs", "documents are never deleted; revoke them"))
        \(appendOnly("document_status_history", "history is append-only"))

        CREATE TABLE persons (
            id TEXT PRIMARY KEY CHECK (length(id) = 17),
            id_lookup BYTEA NOT NULL UNIQUE CHECK (length(id_lookup) = 32),
            id_sealed BYTEA NOT NULL,
            id_masked TEXT NOT NULL,
            name TEXT NOT NULL,
            phone_sealed BYTEA NOT NULL,
            phone_masked TEXT NOT NULL,
            card_valid_from TEXT NOT NULL,
            card_valid_until TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE person_history (
            id BIGSERIAL PRIMARY KEY,
            person_id TEXT NOT NULL REFERENCES persons(id),
            change TEXT NOT NULL,
            actor TEXT NOT NULL,
            changed_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE assurance_records (
            id BIGSERIAL PRIMARY KEY,
            person_id TEXT NOT NULL REFERENCES persons(id),
            tier BIGINT NOT NULL CHECK (tier BETWEEN 1 AND 3),
            method TEXT NOT NULL,
            evidence TEXT NOT NULL,
            agent TEXT NOT NULL,
            verified_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX assurance_records_person ON assurance_records(person_id, verified_at);
        CREATE TABLE verification_flows (
            id TEXT PRIMARY KEY CHECK (length(id) = 24),
            secret_hash BYTEA NOT NULL,
            method TEXT NOT NULL CHECK (method IN ('sms', 'video', 'window_card')),
            subject_lookup BYTEA NOT NULL,
            person_id TEXT REFERENCES persons(id),
            code_hash BYTEA,
            status TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'failed', 'claimed')),
            created_at TIMESTAMPTZ NOT NULL,
            expires_at TIMESTAMPTZ NOT NULL,
            completed_at TIMESTAMPTZ,
            assurance_id BIGINT REFERENCES assurance_records(id),
            client TEXT NOT NULL
        );
        CREATE INDEX verification_flows_subject ON verification_flows(subject_lookup, method, created_at);
        CREATE TABLE auth_counters (
            subject_lookup BYTEA NOT NULL,
            method TEXT NOT NULL,
            failures BIGINT NOT NULL DEFAULT 0,
            lockouts BIGINT NOT NULL DEFAULT 0,
            locked_until TIMESTAMPTZ,
            last_failure_at TIMESTAMPTZ,
            PRIMARY KEY (subject_lookup, method)
        );
        CREATE TABLE device_keys (
            id TEXT PRIMARY KEY CHECK (length(id) = 32),
            person_id TEXT NOT NULL REFERENCES persons(id),
            public_key BYTEA NOT NULL,
            label TEXT NOT NULL,
            tier BIGINT NOT NULL,
            assurance_id BIGINT NOT NULL REFERENCES assurance_records(id),
            created_at TIMESTAMPTZ NOT NULL,
            revoked_at TIMESTAMPTZ
        );
        CREATE INDEX device_keys_person ON device_keys(person_id);
        CREATE TABLE applicant_sessions (
            id TEXT PRIMARY KEY CHECK (length(id) = 32),
            person_id TEXT NOT NULL REFERENCES persons(id),
            tier BIGINT NOT NULL CHECK (tier BETWEEN 1 AND 3),
            method TEXT NOT NULL,
            device_id TEXT REFERENCES device_keys(id),
            created_at TIMESTAMPTZ NOT NULL,
            expires_at TIMESTAMPTZ NOT NULL,
            idle_seconds BIGINT NOT NULL,
            last_seen_at TIMESTAMPTZ NOT NULL,
            ended_at TIMESTAMPTZ,
            end_reason TEXT
        );
        CREATE INDEX applicant_sessions_person ON applicant_sessions(person_id);
        CREATE TABLE sms_outbox (
            id BIGSERIAL PRIMARY KEY,
            person_id TEXT NOT NULL REFERENCES persons(id),
            phone_masked TEXT NOT NULL,
            message TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL
        );
        \(noDelete("persons", "persons are never deleted"))
        \(refuse("persons", "persons_identity_immutable", "UPDATE OF id, id_lookup", "a person keeps their ID number"))
        \(appendOnly("person_history", "history is append-only"))
        \(appendOnly("assurance_records", "assurance records are append-only"))
        \(refuse("device_keys", "device_keys_immutable", "UPDATE OF id, person_id, public_key, tier, assurance_id, created_at", "device keys are immutable; revoke them"))

        CREATE TABLE log_leaves (
            idx BIGINT PRIMARY KEY,
            kind TEXT NOT NULL,
            ref TEXT NOT NULL,
            entry BYTEA NOT NULL,
            appended_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX log_leaves_ref ON log_leaves(ref);
        CREATE TABLE log_nodes (
            level BIGINT NOT NULL,
            idx BIGINT NOT NULL,
            hash BYTEA NOT NULL,
            PRIMARY KEY (level, idx)
        );
        CREATE TABLE log_tree_heads (
            tree_size BIGINT NOT NULL,
            timestamp_ms BIGINT NOT NULL PRIMARY KEY,
            root_hash BYTEA NOT NULL,
            kid TEXT NOT NULL,
            signature BYTEA NOT NULL
        );
        \(appendOnly("log_leaves", "the log is append-only"))
        \(appendOnly("log_nodes", "the log is append-only"))
        \(appendOnly("log_tree_heads", "tree heads are append-only"))

        CREATE TABLE catalogue_versions (
            version BIGSERIAL PRIMARY KEY,
            source BYTEA NOT NULL,
            parsed TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE credit_policy_versions (
            version BIGSERIAL PRIMARY KEY,
            source BYTEA NOT NULL,
            parsed TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE credit_organizations (
            code TEXT PRIMARY KEY CHECK (length(code) = 18),
            name TEXT NOT NULL,
            established_at TIMESTAMPTZ NOT NULL,
            data_complete BIGINT NOT NULL,
            created_by TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE credit_events (
            id BIGSERIAL PRIMARY KEY,
            subject TEXT NOT NULL,
            type TEXT NOT NULL,
            points BIGINT NOT NULL,
            serious BIGINT NOT NULL,
            direct_d BIGINT NOT NULL,
            basis TEXT NOT NULL,
            effective_at TIMESTAMPTZ NOT NULL,
            expires_at TIMESTAMPTZ NOT NULL,
            repairs BIGINT UNIQUE REFERENCES credit_events(id),
            source TEXT NOT NULL,
            reference TEXT,
            recorded_at TIMESTAMPTZ NOT NULL,
            recorded_by TEXT NOT NULL,
            UNIQUE (source, reference)
        );
        CREATE INDEX credit_events_subject ON credit_events(subject, recorded_at);
        \(appendOnly("credit_events", "credit history is append-only"))
        \(appendOnly("catalogue_versions", "versions are append-only"))
        \(appendOnly("credit_policy_versions", "versions are append-only"))
        \(noDelete("credit_organizations", "subjects are kept"))

        CREATE TABLE applications (
            id TEXT PRIMARY KEY CHECK (length(id) = 32),
            matter_code TEXT NOT NULL,
            catalogue_version BIGINT NOT NULL REFERENCES catalogue_versions(version),
            department_code TEXT NOT NULL,
            subject TEXT NOT NULL,
            applicant_name TEXT NOT NULL,
            mode TEXT NOT NULL CHECK (mode IN ('standard', 'trust', 'deferral')),
            state TEXT NOT NULL CHECK (state IN ('submitted', 'accepted', 'under_review', 'approved', 'result_issued', 'closed', 'rejected', 'terminated')),
            submitted_at TIMESTAMPTZ NOT NULL,
            accepted_at TIMESTAMPTZ,
            time_limit_due TIMESTAMPTZ,
            review_started_at TIMESTAMPTZ,
            review_stall_at TIMESTAMPTZ,
            document_id TEXT REFERENCES documents(id),
            created_by TEXT NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX applications_subject ON applications(subject);
        CREATE INDEX applications_time_limit ON applications(time_limit_due) WHERE state IN ('accepted', 'under_review', 'approved');
        CREATE INDEX applications_review ON applications(review_stall_at) WHERE state = 'under_review';
        \(refuse("applications", "applications_final", "UPDATE OF state", "a finished application does not change", when: "OLD.state IN ('closed', 'rejected', 'terminated')"))
        \(noDelete("applications", "applications are kept"))
        CREATE TABLE application_materials (
            application_id TEXT NOT NULL REFERENCES applications(id),
            code TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('provided', 'missing')),
            provided_at TIMESTAMPTZ,
            PRIMARY KEY (application_id, code)
        );
        CREATE TABLE application_history (
            id BIGSERIAL PRIMARY KEY,
            application_id TEXT NOT NULL REFERENCES applications(id),
            state TEXT NOT NULL,
            reason TEXT NOT NULL,
            actor TEXT NOT NULL,
            changed_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX application_history_application ON application_history(application_id);
        \(appendOnly("application_history", "history is append-only"))
        CREATE TABLE application_flags (
            application_id TEXT NOT NULL REFERENCES applications(id),
            flag TEXT NOT NULL,
            raised_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (application_id, flag)
        );
        CREATE TABLE commitments (
            id BIGSERIAL PRIMARY KEY,
            application_id TEXT NOT NULL UNIQUE REFERENCES applications(id),
            subject TEXT NOT NULL,
            items TEXT NOT NULL,
            deadline TIMESTAMPTZ NOT NULL,
            consequences TEXT NOT NULL,
            tier BIGINT NOT NULL CHECK (tier >= 2),
            method TEXT NOT NULL,
            assurance TEXT NOT NULL,
            signed_at TIMESTAMPTZ NOT NULL
        );
        \(appendOnly("commitments", "commitments are append-only"))
        CREATE TABLE obligations (
            id TEXT PRIMARY KEY,
            application_id TEXT NOT NULL UNIQUE REFERENCES applications(id),
            subject TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('trust', 'deferral')),
            items TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('open', 'rectification', 'fulfilled', 'breached')),
            deadline TIMESTAMPTZ NOT NULL,
            remind_at TIMESTAMPTZ,
            reminded_at TIMESTAMPTZ,
            rectification_deadline TIMESTAMPTZ,
            created_at TIMESTAMPTZ NOT NULL,
            closed_at TIMESTAMPTZ
        );
        CREATE INDEX obligations_due ON obligations(deadline) WHERE state = 'open';
        CREATE INDEX obligations_rectification ON obligations(rectification_deadline) WHERE state = 'rectification';
        CREATE INDEX obligations_remind ON obligations(remind_at) WHERE state = 'open' AND reminded_at IS NULL;
        CREATE INDEX obligations_subject ON obligations(subject);
        \(refuse("obligations", "obligations_final", "UPDATE OF state", "a closed obligation does not change", when: "OLD.state IN ('fulfilled', 'breached')"))
        \(noDelete("obligations", "obligations are kept"))
        CREATE TABLE notification_outbox (
            id BIGSERIAL PRIMARY KEY,
            subject TEXT NOT NULL,
            kind TEXT NOT NULL,
            reference TEXT NOT NULL,
            message TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL
        );

        CREATE TABLE root_links (
            issuer_kid TEXT NOT NULL REFERENCES signing_keys(kid),
            subject_kid TEXT NOT NULL REFERENCES signing_keys(kid),
            certificate BYTEA NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            rowid BIGSERIAL NOT NULL UNIQUE,
            PRIMARY KEY (issuer_kid, subject_kid)
        );
        \(appendOnly("root_links", "link certificates are append-only"))
        """
}
