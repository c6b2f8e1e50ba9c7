-- How a clinic writes dates and times (issue 16): the order of day, month and year, the
-- 12- or 24-hour clock and the first day of the week (CLDR's date field order, hourCycle and
-- firstDay). Every workstation shows and reads dates this way; stored values stay ISO 8601.
-- Existing clinics keep what they saw until now: ISO dates, 24-hour clock, weeks from Monday.
ALTER TABLE tenants
    ADD COLUMN date_order text NOT NULL DEFAULT 'year_month_day'
        CHECK (date_order IN ('year_month_day', 'day_month_year', 'month_day_year')),
    ADD COLUMN hour_cycle text NOT NULL DEFAULT 'h23'
        CHECK (hour_cycle IN ('h23', 'h12')),
    ADD COLUMN week_start text NOT NULL DEFAULT 'monday'
        CHECK (week_start IN ('monday', 'sunday', 'saturday'));

GRANT UPDATE (date_order, hour_cycle, week_start) ON tenants TO medoffice_app;
