-- Recurring visits (issue 12): each occurrence is its own appointment, carrying the series'
-- client-made id, so it syncs, clashes and is refused one by one like any booking; "this and
-- all following" finds the others by this id.
ALTER TABLE appointments ADD COLUMN series_id uuid;
CREATE INDEX appointments_series ON appointments (tenant_id, series_id, starts_at) WHERE series_id IS NOT NULL;
