// The reference: panva's oidc-provider with its in-memory adapter and opaque access tokens,
// configured for the same scenarios as Gerbang (client_credentials, introspection, refresh
// with rotation). Prints the tokens the load scenarios need as JSON on stdout, then serves.
//   node provider.mjs PORT CC_SECRET RP_SECRET N_REFRESH
import Provider from 'oidc-provider';

const [port, ccSecret, rpSecret, nRefresh] = process.argv.slice(2);

// In-memory storage without eviction: the library's development adapter is an LRU of 1,000
// entries, which evicted the benchmark's own tokens after a few thousand client_credentials
// requests (every later userinfo and refresh failed).
const store = new Map();
class MapAdapter {
  constructor(name) { this.name = name; }
  key(id) { return `${this.name}:${id}`; }
  async upsert(id, payload) {
    store.set(this.key(id), payload);
    if (payload.grantId) {
      const g = `grant:${payload.grantId}`;
      store.set(g, [...(store.get(g) || []), this.key(id)]);
    }
    if (payload.uid) store.set(`uid:${payload.uid}`, id);
    if (payload.userCode) store.set(`userCode:${payload.userCode}`, id);
  }
  async find(id) { return store.get(this.key(id)); }
  async findByUid(uid) { return this.find(store.get(`uid:${uid}`)); }
  async findByUserCode(code) { return this.find(store.get(`userCode:${code}`)); }
  async consume(id) {
    const p = store.get(this.key(id));
    if (p) p.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) { store.delete(this.key(id)); }
  async revokeByGrantId(grantId) {
    const g = `grant:${grantId}`;
    for (const k of store.get(g) || []) store.delete(k);
    store.delete(g);
  }
}
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  adapter: MapAdapter,
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
