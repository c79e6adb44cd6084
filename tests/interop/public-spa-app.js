// The single-page app of the browser test (tests/it/e2e_public.rs serves it from a loopback
// origin of its own): oidc-client-ts in the page, configured for Gerbang as a public client
// (no secret, PKCE S256, client_id only). `config.js` sets GERBANG and CLIENT_ID.
window.mgr = new oidc.UserManager({
  authority: window.GERBANG,
  client_id: window.CLIENT_ID,
  redirect_uri: `${location.origin}/callback.html`,
  post_logout_redirect_uri: `${location.origin}/index.html`,
  response_type: 'code',
  scope: 'openid profile',
  loadUserInfo: true,
  automaticSilentRenew: false,
  revokeTokensOnSignout: true,
});
window.ready = (async () => {
  if (location.pathname !== '/callback.html') return null;
  const user = await window.mgr.signinRedirectCallback();
  document.body.dataset.signedIn = user.profile.nip || user.profile.sub;
  return user;
})();
