-- A grant without offline_access ends with the sign-in session it came from: new grants
-- store min(refresh lifetime, session end) as their expires_at. Grants made before this
-- carry no session end; their session cannot have outlived auth_time plus the default
-- session lifetime (10 h, sso_session_ttl_secs): the session began no later than auth_time,
-- and a step-up only moves auth_time later. Bounding them there never ends one before a
-- default-length session does; with a longer configured session, the service goes back
-- through /authorize once, silently while the session lives.
UPDATE refresh_families SET expires_at = auth_time + 36000
WHERE revoked_at IS NULL
  AND expires_at > auth_time + 36000
  AND ' ' || scope || ' ' NOT LIKE '% offline_access %';
