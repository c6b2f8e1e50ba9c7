-- The clinic's postal address and phone number (issue 12), printed on appointment cards and
-- visit summaries. Set by the clinic's administrators like its name.
ALTER TABLE tenants ADD COLUMN address text CHECK (address IS NULL OR length(address) <= 300);
ALTER TABLE tenants ADD COLUMN phone text CHECK (phone IS NULL OR length(phone) <= 40);
GRANT UPDATE (address, phone) ON tenants TO medoffice_app;
