//! Sign-up, login, token authentication and logout (docs/api.md#signing-in).

use crate::ErrorCode;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use comanda_domain::identity::{Email, Grantor, Grants, NewPassword, Permission, Role};
use comanda_domain::tenancy::TenantContext;
use comanda_domain::{SessionId, TenantId};
use comanda_ports::{
    Actor, Clock, NewSession, NewUser, OneTimeTokens, PasswordHasher, RepoError, SessionRepository,
    TenantRepository, TokenClaims, TokenCodec, User, UserRepository,
};

use crate::ServiceError;

/// Session and token lifetimes.
#[derive(Debug, Clone, Copy)]
pub struct AuthPolicy {
    pub token_ttl: Duration,
    pub session_ttl: Duration,
    pub max_active_sessions: u32,
}

/// Who may become a tenant's first user (docs/deployment.md#production-checklist).
#[derive(Debug, Clone, Default)]
pub struct SignupPolicy {
    /// `ALLOW_OPEN_SIGNUP`: the first user of a userless tenant needs no invite.
    pub open_signup: bool,
    /// The central admin's tenant: its first owner is made with `comanda create-owner`.
    pub bootstrap_tenant: Option<comanda_domain::tenancy::TenantSlug>,
}

/// What a sign-up sends.
#[derive(Debug, Clone, Default)]
pub struct SignupInput {
    pub email: String,
    pub password: String,
    pub name: String,
    pub invite_token: Option<String>,
}

/// Where a login comes from, kept with the session.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A signed-in user, as every authenticated request sees them.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub session_id: SessionId,
    pub tenant: TenantContext,
    pub permissions: BTreeSet<Permission>,
}

impl Principal {
    /// What this user may grant to groups and users (docs/operations.md#fairness-and-saturation "Grants").
    pub fn grantor(&self) -> Grantor<'_> {
        Grantor {
            role: self.user.role,
            held: &self.permissions,
        }
    }

    pub fn grants(&self) -> Grants<'_> {
        Grants {
            role: self.user.role,
            permissions: &self.permissions,
            tenant_modules: &self.tenant.modules,
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub access_token: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
    pub user: User,
}

#[derive(Clone)]
pub struct AuthService {
    users: Arc<dyn UserRepository>,
    sessions: Arc<dyn SessionRepository>,
    tenants: Arc<dyn TenantRepository>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn TokenCodec>,
    invites: Arc<dyn OneTimeTokens>,
    clock: Arc<dyn Clock>,
    policy: AuthPolicy,
    signup: SignupPolicy,
}

fn invite_required(message: &str) -> ServiceError {
    ServiceError::Forbidden {
        code: ErrorCode::InviteRequired,
        message: message.into(),
    }
}

fn already_bootstrapped() -> ServiceError {
    ServiceError::conflict(
        ErrorCode::AlreadyBootstrapped,
        "This tenant already has users: ask its owner for an account",
    )
}

fn invalid_credentials() -> ServiceError {
    ServiceError::Unauthenticated {
        code: ErrorCode::InvalidCredentials,
        message: "Incorrect e-mail or password".into(),
    }
}

fn invalid_token() -> ServiceError {
    ServiceError::Unauthenticated {
        code: ErrorCode::InvalidToken,
        message: "The session token is invalid or has expired; sign in again".into(),
    }
}

/// Activity is recorded at most this often per session.
const TOUCH_INTERVAL: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

impl AuthService {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        users: Arc<dyn UserRepository>,
        sessions: Arc<dyn SessionRepository>,
        tenants: Arc<dyn TenantRepository>,
        hasher: Arc<dyn PasswordHasher>,
        tokens: Arc<dyn TokenCodec>,
        invites: Arc<dyn OneTimeTokens>,
        clock: Arc<dyn Clock>,
        policy: AuthPolicy,
        signup: SignupPolicy,
    ) -> Self {
        Self {
            users,
            sessions,
            tenants,
            hasher,
            tokens,
            invites,
            clock,
            policy,
            signup,
        }
    }

    /// The tenant's first user, as `owner` (docs/api.md#signing-in, docs/deployment.md#production-checklist): 403 `bootstrap_via_cli` on the
    /// central admin's tenant, 409 `already_bootstrapped` once it has users, 403
    /// `invite_required` without a valid invite (unless open signup is allowed). Every refusal
    /// comes before the password is hashed.
    pub async fn signup(
        &self,
        tenant: &TenantContext,
        input: SignupInput,
        actor: &Actor,
    ) -> Result<User, ServiceError> {
        if self.signup.bootstrap_tenant.as_ref() == Some(&tenant.slug) {
            return Err(ServiceError::Forbidden {
                code: ErrorCode::BootstrapViaCli,
                message: "The central admin's first owner is made with `comanda create-owner`"
                    .into(),
            });
        }
        if self.users.has_users(tenant.id).await? {
            return Err(already_bootstrapped());
        }
        let invite = match input.invite_token.as_deref().map(str::trim) {
            Some(token) if !token.is_empty() => {
                let digest = self.invites.digest(token);
                let invite = self
                    .users
                    .find_owner_invite(tenant.id, &digest, self.clock.now())
                    .await?
                    .ok_or_else(|| {
                        invite_required("The invite is not valid: it may have expired or been used")
                    })?;
                Some(invite)
            }
            _ if self.signup.open_signup => None,
            _ => {
                return Err(invite_required(
                    "Signing up needs the invite the operator sent to the tenant's owner",
                ));
            }
        };
        let (email, password) = parse_credentials(&input.email, &input.password)?;
        if let Some(invite) = &invite
            && invite.email != email
        {
            return Err(invite_required("The invite was made for another e-mail"));
        }
        let password_hash = self.hash(&password).await?;
        let name = match (input.name.trim(), &invite) {
            ("", Some(invite)) => invite.name.clone(),
            (name, _) => name.to_owned(),
        };
        let new_user = NewUser {
            email,
            name,
            password_hash,
            role: Role::Owner,
            group_ids: Vec::new(),
        };
        self.users
            .bootstrap_owner(tenant.id, new_user, invite.map(|invite| invite.id), actor)
            .await
            .map_err(|error| match error {
                RepoError::Conflict(_) => already_bootstrapped(),
                RepoError::NotFound(_) => invite_required("The invite was used meanwhile"),
                other => other.into(),
            })
    }

    /// Checks the credentials and opens a session. Every failure is the same 401, and an
    /// unknown e-mail costs as much time as a wrong password.
    pub async fn login(
        &self,
        tenant: TenantId,
        email: &str,
        password: &str,
        client: ClientInfo,
    ) -> Result<LoginOutcome, ServiceError> {
        let Ok(email) = Email::parse(email) else {
            self.hasher.burn_verification(password).await?;
            return Err(invalid_credentials());
        };
        let Some(credentials) = self.users.find_credentials(tenant, &email).await? else {
            self.hasher.burn_verification(password).await?;
            return Err(invalid_credentials());
        };
        let check = self
            .hasher
            .verify(password, &credentials.password_hash)
            .await
            .map_err(ServiceError::from)?;
        if !check.matches || !credentials.user.is_active {
            return Err(invalid_credentials());
        }
        let user = credentials.user;
        let upgraded_hash = if check.needs_rehash {
            Some(self.hash_raw(password).await?)
        } else {
            None
        };
        self.users
            .record_login(tenant, user.id, upgraded_hash)
            .await?;

        let now = self.clock.now();
        let session_ttl = chrono::TimeDelta::from_std(self.policy.session_ttl)
            .map_err(|error| ServiceError::Internal(error.to_string()))?;
        let session = self
            .sessions
            .create(
                NewSession {
                    tenant_id: tenant,
                    user_id: user.id,
                    expires_at: now + session_ttl,
                    ip: client.ip,
                    user_agent: client
                        .user_agent
                        .map(|agent| agent.chars().take(512).collect()),
                },
                self.policy.max_active_sessions,
            )
            .await?;
        let token_ttl = i64::try_from(self.policy.token_ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let expires_at = (now.timestamp() + token_ttl).min(session.expires_at.timestamp());
        let claims = TokenClaims {
            user_id: user.id,
            tenant_id: tenant,
            role: user.role,
            session_id: session.id,
            issued_at: now.timestamp(),
            expires_at,
        };
        let access_token = self.tokens.issue(&claims).map_err(ServiceError::from)?;
        Ok(LoginOutcome {
            access_token,
            expires_in: u64::try_from(expires_at - now.timestamp()).unwrap_or(0),
            user,
        })
    }

    /// The principal behind a token: a valid signature, a live session, an active user.
    /// The role and permissions come from the database, so changes apply at once.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, ServiceError> {
        let claims = self.tokens.verify(token).map_err(|_| invalid_token())?;
        let now = self.clock.now();
        let Some((session, user)) = self
            .sessions
            .find_active(claims.tenant_id, claims.session_id, claims.user_id, now)
            .await?
        else {
            return Err(invalid_token());
        };
        let Some(tenant) = self.tenants.find_by_id(claims.tenant_id).await? else {
            return Err(invalid_token());
        };
        let permissions = self.users.permissions(claims.tenant_id, user.id).await?;
        if now - session.last_seen_at > TOUCH_INTERVAL {
            // Best effort: a failed touch must not fail the request.
            if let Err(error) = self.sessions.touch(session.id, now).await {
                tracing::warn!(%error, "could not record session activity");
            }
        }
        Ok(Principal {
            user,
            session_id: session.id,
            tenant: tenant.into(),
            permissions,
        })
    }

    pub async fn logout(&self, principal: &Principal) -> Result<(), ServiceError> {
        self.sessions
            .revoke(principal.tenant.id, principal.session_id, "logout")
            .await
            .map_err(ServiceError::from)
    }

    pub async fn hash(&self, password: &NewPassword) -> Result<String, ServiceError> {
        self.hash_raw(password.expose()).await
    }

    async fn hash_raw(&self, password: &str) -> Result<String, ServiceError> {
        self.hasher.hash(password).await.map_err(ServiceError::from)
    }
}

/// An e-mail and a new password, or the fields at fault.
pub fn parse_credentials(
    email: &str,
    password: &str,
) -> Result<(Email, NewPassword), ServiceError> {
    let mut problems = Vec::new();
    let email = Email::parse(email).map_err(|error| problems.push(("email", error.to_string())));
    let password = NewPassword::parse(password)
        .map_err(|error| problems.push(("password", error.to_string())));
    match (email, password) {
        (Ok(email), Ok(password)) => Ok((email, password)),
        _ => Err(ServiceError::Validation(
            problems
                .into_iter()
                .map(|(field, message)| crate::FieldProblem {
                    field: field.to_owned(),
                    message,
                })
                .collect(),
        )),
    }
}
