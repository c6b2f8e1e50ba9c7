-- A refresh token carries the session epoch it was issued under (issue 15). A refresh compares
-- it with the user's epoch now, under a share lock on the user's row, so a refresh racing a
-- password change or deactivation cannot leave a token of the old epoch alive: either the
-- refresh commits first (and the change's revocation, which waits for the lock, sees the new
-- token), or the change does (and the refresh sees the new epoch and refuses).
ALTER TABLE refresh_tokens ADD COLUMN session_epoch integer;
-- a token alive now was issued under its user's present epoch (every change of the epoch
-- revoked the tokens before it)
UPDATE refresh_tokens r SET session_epoch = u.session_epoch FROM users u WHERE u.id = r.user_id;
ALTER TABLE refresh_tokens ALTER COLUMN session_epoch SET NOT NULL;
