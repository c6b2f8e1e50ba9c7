-- When the patient was checked in at the desk (appointments.checked_in_at), so every
-- workstation counts waiting time from the same moment, across restarts.
--
-- The column is kept by a trigger, so the REST PATCH, the sync push and any later path agree:
--   * becoming 'checked_in' (from another status, or inserted as 'checked_in') takes the time
--     the writer proposes in NEW.checked_in_at (a check-in made offline carries the desk's
--     clock), clamped: later than now() (a desk clock running a few minutes ahead, or a
--     wrong one) becomes now(); earlier than 24 hours before the booking's start (a wrong
--     clock), or absent, becomes now();
--   * staying 'checked_in' or moving on ('in_progress', 'completed', 'cancelled', 'no_show')
--     keeps the time already stored; a proposal is ignored;
--   * going back to 'scheduled' clears it.
-- A 'scheduled' row never has one. An insert with another status (imports of past visits)
-- stores what it is given.

ALTER TABLE appointments ADD COLUMN checked_in_at timestamptz;

CREATE FUNCTION medoffice_appointment_checked_in_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'checked_in' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'checked_in') THEN
        IF NEW.checked_in_at IS NULL
           OR NEW.checked_in_at < NEW.starts_at - interval '24 hours' THEN
            NEW.checked_in_at := now();
        ELSIF NEW.checked_in_at > now() THEN
            NEW.checked_in_at := now();
        END IF;
    ELSIF NEW.status = 'scheduled' THEN
        NEW.checked_in_at := NULL;
    ELSIF TG_OP = 'UPDATE' THEN
        NEW.checked_in_at := OLD.checked_in_at;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER appointments_checked_in_at BEFORE INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION medoffice_appointment_checked_in_at();
