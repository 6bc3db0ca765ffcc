//! Who is calling: JWT verification with pinned algorithms, the `Caller` extractor, and the role
//! and authority checks handlers use.

use std::future::{Ready, ready};
use std::time::Duration;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::JwtConfig;
use crate::domain::values::AuthorityCode;
use crate::error::ApiError;
use crate::telemetry::RequestId;

/// What a caller may do, from the token's `roles` claim.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    Admin,
    Commissioner,
    Procurement,
    Board,
    Finance,
    Partner,
    Auditor,
    /// Legal services: gives the legal sign-off on procurement initiation documents.
    Legal,
}

/// The claims this service reads. Roles it does not know are ignored, so an identity provider may
/// add its own.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub authority: String,
    #[serde(default)]
    pub roles: Vec<String>,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    pub iss: String,
    pub aud: String,
}

/// Keys and rules for verifying tokens, built once at start-up.
pub struct Verifier {
    algorithms: Vec<Algorithm>,
    hmac: Option<DecodingKey>,
    pem: Option<(AlgorithmFamily, DecodingKey)>,
    jwks: Option<JwkSet>,
    issuer: String,
    audience: String,
}

impl Verifier {
    /// Read the configured keys. `dev_secret` is used when no key is configured (`serve --demo`).
    pub fn from_config(cfg: &JwtConfig, dev_secret: Option<&str>) -> anyhow::Result<Self> {
        let secret = cfg.hs256_secret.as_deref().or(dev_secret);
        let hmac = secret.map(|s| DecodingKey::from_secret(s.as_bytes()));
        let pem = match &cfg.public_key_file {
            None => None,
            Some(path) => {
                let bytes = std::fs::read(path).map_err(|e| {
                    anyhow::anyhow!("cannot read JWT_PUBLIC_KEY_FILE {}: {e}", path.display())
                })?;
                let key = DecodingKey::from_rsa_pem(&bytes)
                    .map(|k| (AlgorithmFamily::Rsa, k))
                    .or_else(|_| DecodingKey::from_ec_pem(&bytes).map(|k| (AlgorithmFamily::Ec, k)))
                    .map_err(|e| {
                        anyhow::anyhow!("{} holds no RSA or EC public key: {e}", path.display())
                    })?;
                Some(key)
            }
        };
        let jwks = match &cfg.jwks_file {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("cannot read JWT_JWKS_FILE {}: {e}", path.display())
                })?;
                let set: JwkSet = serde_json::from_str(&text).map_err(|e| {
                    anyhow::anyhow!("{} is not a JWKS document: {e}", path.display())
                })?;
                Some(set)
            }
        };
        let algorithms = if cfg.algorithms.is_empty() {
            let mut algs = Vec::new();
            if hmac.is_some() {
                algs.push(Algorithm::HS256);
            }
            match &pem {
                Some((AlgorithmFamily::Rsa, _)) => algs.push(Algorithm::RS256),
                Some((AlgorithmFamily::Ec, _)) => algs.push(Algorithm::ES256),
                _ => {}
            }
            if jwks.is_some() {
                algs.extend([Algorithm::RS256, Algorithm::ES256]);
            }
            algs.dedup();
            algs
        } else {
            cfg.algorithms
                .iter()
                .map(|a| match a.trim() {
                    "HS256" => Ok(Algorithm::HS256),
                    "RS256" => Ok(Algorithm::RS256),
                    "ES256" => Ok(Algorithm::ES256),
                    other => Err(anyhow::anyhow!(
                        "JWT_ALGORITHMS: {other:?} is not one of HS256, RS256, ES256"
                    )),
                })
                .collect::<anyhow::Result<_>>()?
        };
        anyhow::ensure!(
            !algorithms.is_empty(),
            "no JWT key is configured: set JWT_HS256_SECRET, JWT_PUBLIC_KEY_FILE or JWT_JWKS_FILE (or run with --demo)"
        );
        Ok(Self {
            algorithms,
            hmac,
            pem,
            jwks,
            issuer: cfg.issuer.clone(),
            audience: cfg.audience.clone(),
        })
    }

    /// The configured secret or PEM key for the token's algorithm family (JWKS keys go by `kid`).
    fn static_key(&self, alg: Algorithm) -> Result<&DecodingKey, ApiError> {
        let key = match alg.family() {
            AlgorithmFamily::Hmac => self.hmac.as_ref(),
            family => self
                .pem
                .as_ref()
                .filter(|(f, _)| *f == family)
                .map(|(_, k)| k),
        };
        key.ok_or_else(|| {
            ApiError::Unauthorized(format!("no key is configured for {alg:?} tokens"))
        })
    }

    /// Check a bearer token and return its claims, or the reason it is refused.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let unauthorized = |why: &str| ApiError::Unauthorized(why.to_string());
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| unauthorized("the token is malformed or names an unknown algorithm"))?;
        if !self.algorithms.contains(&header.alg) {
            return Err(ApiError::Unauthorized(format!(
                "tokens signed with {:?} are not accepted",
                header.alg
            )));
        }
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        let decoded = match (&self.jwks, header.alg.family()) {
            (Some(set), AlgorithmFamily::Rsa | AlgorithmFamily::Ec) => {
                let kid = header.kid.as_deref().ok_or_else(|| {
                    unauthorized("the token header has no `kid` to choose a key by")
                })?;
                let jwk = set.find(kid).ok_or_else(|| {
                    ApiError::Unauthorized(format!("no key with kid {kid:?} is configured"))
                })?;
                let key = DecodingKey::from_jwk(jwk).map_err(|_| {
                    ApiError::Unauthorized(format!("the key with kid {kid:?} cannot verify tokens"))
                })?;
                jsonwebtoken::decode::<Claims>(token, &key, &validation)
            }
            _ => jsonwebtoken::decode::<Claims>(token, self.static_key(header.alg)?, &validation),
        };
        decoded.map(|data| data.claims).map_err(|e| {
            ApiError::Unauthorized(
                match e.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired",
                    ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)",
                    ErrorKind::InvalidIssuer => "the token's issuer (iss) is not accepted",
                    ErrorKind::InvalidAudience => "the token's audience (aud) is not this service",
                    ErrorKind::InvalidSignature => "the token's signature does not verify",
                    ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim (sub, exp, iss, aud)",
                    ErrorKind::Json(_) => "the token's claims are not as expected (sub, authority, roles, exp, iss, aud)",
                    _ => "the token is invalid",
                }
                .to_string(),
            )
        })
    }
}

/// Sign a development token with an HS256 secret (the `token` subcommand and the tests).
pub fn mint_token(
    secret: &str,
    issuer: &str,
    audience: &str,
    subject: &str,
    authority: &str,
    roles: &[Role],
    ttl: Duration,
) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = Claims {
        sub: subject.to_string(),
        authority: authority.to_string(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        exp: now + ttl.as_secs(),
        nbf: Some(now),
        iat: Some(now),
        iss: issuer.to_string(),
        aud: audience.to_string(),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("HS256 signing cannot fail")
}

/// The authenticated caller of this request. Extracting it is what makes an endpoint need a token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub subject: String,
    pub authority: AuthorityCode,
    pub roles: Vec<Role>,
    pub request_id: String,
}

impl Caller {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// 403 unless the caller holds one of `roles`.
    pub fn require_role(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.iter().any(|r| self.has_role(*r)) {
            return Ok(());
        }
        let names = |rs: &[Role]| {
            rs.iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(ApiError::Forbidden(format!(
            "this needs one of the roles [{}]; the token has [{}]",
            names(roles),
            names(&self.roles)
        )))
    }

    /// 403 unless the record belongs to the caller's authority.
    pub fn require_authority(&self, owner: &str) -> Result<(), ApiError> {
        if self.authority.as_str() == owner {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "the record belongs to {owner}; the token acts for {}",
                self.authority
            )))
        }
    }

    /// Both checks a write to an owned record needs.
    pub fn require_to_change(&self, roles: &[Role], owner: &str) -> Result<(), ApiError> {
        self.require_authority(owner)?;
        self.require_role(roles)
    }
}

fn caller_from(req: &HttpRequest) -> Result<Caller, ApiError> {
    let verifier = req
        .app_data::<web::Data<Verifier>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no JWT verifier configured")))?;
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::Unauthorized("this endpoint needs an Authorization: Bearer token".into())
    })?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is not valid text".into()))?;
    let token = match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            token.trim()
        }
        _ => {
            return Err(ApiError::Unauthorized(
                "the Authorization header must be `Bearer <token>`".into(),
            ));
        }
    };
    let claims = verifier.verify(token)?;
    if let Some(limiter) = req.app_data::<web::Data<crate::rate_limit::RateLimiter>>() {
        limiter.check(&format!("{}/{}", claims.authority, claims.sub))?;
    }
    let authority = claims.authority.parse::<AuthorityCode>().map_err(|e| {
        ApiError::Unauthorized(format!("the token's authority claim is invalid: {e}"))
    })?;
    let roles = claims
        .roles
        .iter()
        .filter_map(|r| r.parse::<Role>().ok())
        .collect();
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    Ok(Caller {
        subject: claims.sub,
        authority,
        roles,
        request_id,
    })
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(caller_from(req))
    }
}
