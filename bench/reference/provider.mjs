// The reference: panva's oidc-provider with its in-memory adapter and opaque access tokens,
// configured for the same scenarios as Gerbang (client_credentials, introspection, refresh
// with rotation). Prints the tokens the load scenarios need as JSON on stdout, then serves.
//   node provider.mjs PORT CC_SECRET RP_SECRET N_REFRESH
import Provider from 'oidc-provider';

const [port, ccSecret, rpSecret, nRefresh] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [
    { client_id: 'bench-cc', client_secret: ccSecret, grant_types: ['client_credentials'],
      redirect_uris: [], response_types: [], scope: 'api' },
    { client_id: 'bench-rp', client_secret: rpSecret, redirect_uris: ['http://127.0.0.1:9/cb'],
      grant_types: ['authorization_code', 'refresh_token'] },
  ],
  scopes: ['openid', 'profile', 'offline_access', 'api'],
  claims: { openid: ['sub'], profile: ['name'] },
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
  },
  rotateRefreshToken: true,
  issueRefreshToken: async () => true,
  findAccount: async (ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, name: 'Bench User' }) }),
  ttl: { AccessToken: 3600, RefreshToken: 86400, ClientCredentials: 3600, Grant: 86400 },
});
provider.proxy = false;

const client = await provider.Client.find('bench-rp');
const tokens = { access: null, refresh: [] };
for (let i = 0; i < Number(nRefresh); i += 1) {
  const grant = new provider.Grant({ accountId: 'bench-user', clientId: 'bench-rp' });
  grant.addOIDCScope('openid profile offline_access');
  const grantId = await grant.save();
  const at = new provider.AccessToken({ accountId: 'bench-user', client, grantId, scope: 'openid profile' });
  if (!tokens.access) tokens.access = await at.save();
  const rt = new provider.RefreshToken({
    accountId: 'bench-user', client, grantId, scope: 'openid profile offline_access',
    gty: 'authorization_code', iat: Math.floor(Date.now() / 1000),
  });
  tokens.refresh.push(await rt.save());
}
provider.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify(tokens)}\n`);
});
