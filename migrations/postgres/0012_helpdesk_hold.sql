-- The helpdesk's Disable, recorded on its own (see src/store/helpdesk.rs): `helpdesk_hold_at`
-- is when it was taken, NULL when there is none. `status` keeps what the import and the lock
-- decide; an account signs in only when `status = 'active'` AND there is no hold. No import
-- ever writes this column; only a helpdesk or admin Enable clears it.
ALTER TABLE users ADD COLUMN helpdesk_hold_at BIGINT;
-- Every account the helpdesk disabled so far.
UPDATE users SET helpdesk_hold_at = updated_at WHERE status = 'disabled';
-- A Disable taken over the import's own disable used to leave only `siasn_inactive`, which
-- the next "aktif" lifted (and with it the hijacker's device, when the Disable was for a
-- takeover). Where the audit trail still shows a Disable as the helpdesk's last word (no
-- Enable after it), the helpdesk's decision is restored as a hold, also on an account the
-- import has already brought back: the person asks their helpdesk, whose Enable lifts it.
UPDATE users SET helpdesk_hold_at = (
    SELECT MAX(d.at) FROM audit_events d
    WHERE d.subject = users.id AND d.kind = 'helpdesk_action' AND d.detail LIKE 'disable:%')
WHERE status IN ('siasn_inactive', 'active')
  AND (SELECT MAX(d.at) FROM audit_events d
       WHERE d.subject = users.id AND d.kind = 'helpdesk_action' AND d.detail LIKE 'disable:%')
    > COALESCE((SELECT MAX(e.at) FROM audit_events e
       WHERE e.subject = users.id AND e.kind = 'helpdesk_action' AND e.detail LIKE 'enable%'), 0);
