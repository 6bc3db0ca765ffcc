-- Who won each lot of a PID, and social value commitments made on an awarded lot (issue 7: a
-- commitment is made "on a contract (or a PID's awarded lot)"). A PID's lots are a jsonb array
-- without ids, so a lot is named by its 1-based number in that array.

CREATE TABLE pid_lot_awards (
    -- The award's own id: its audit events and change-feed entries name it.
    id                   uuid NOT NULL UNIQUE,
    pid_id               uuid NOT NULL REFERENCES pids (id),
    -- 1-based number of the lot in the PID's `lots` array (a PID has at most 50 lots).
    lot                  smallint NOT NULL CHECK (lot BETWEEN 1 AND 50),
    supplier_name        text NOT NULL CHECK (length(supplier_name) BETWEEN 1 AND 300),
    awarded_on           date NOT NULL,
    awarded_value_pence  bigint CHECK (awarded_value_pence >= 0),
    -- The lot's contract, once it is in the register.
    contract_id          uuid REFERENCES contracts (id),
    version              integer NOT NULL DEFAULT 1,
    created_by           text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pid_id, lot)
);
CREATE INDEX pid_lot_awards_contract_idx ON pid_lot_awards (contract_id);

-- A commitment's subject is either a contract or an awarded lot, never both, never neither. The
-- foreign key to the award keeps an award with commitments from vanishing.
ALTER TABLE social_value_commitments
    ALTER COLUMN contract_id DROP NOT NULL,
    ADD COLUMN pid_id uuid,
    ADD COLUMN lot smallint,
    ADD CONSTRAINT social_value_commitments_subject_check CHECK (
        (pid_id IS NULL) = (lot IS NULL) AND (contract_id IS NULL) <> (pid_id IS NULL)
    ),
    ADD CONSTRAINT social_value_commitments_lot_fkey
        FOREIGN KEY (pid_id, lot) REFERENCES pid_lot_awards (pid_id, lot);
CREATE INDEX social_value_commitments_lot_idx ON social_value_commitments (pid_id, lot);
