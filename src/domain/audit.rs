//! One audit event: who did what to whom, from where.

#[derive(Debug, Clone, Default)]
pub struct AuditEvent<'a> {
    pub actor: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub kind: &'a str,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub detail: Option<&'a str>,
}
