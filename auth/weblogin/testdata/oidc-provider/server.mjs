// A real OpenID provider on loopback for the web login's tests:
// panva/oidc-provider with its development login and consent pages.
//   node server.mjs <port> <product scope>
// Prints "listening <issuer>" once it answers.
import http from 'node:http';
import Provider from 'oidc-provider';

const [port, productScope] = [Number(process.argv[2]), process.argv[3]];
const issuer = `http://127.0.0.1:${port}`;
const sermi = {
  cabuid: 'EXA/NL/1234/1EXA2MP34LE5',
  iouid: 'GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01',
  ioeuid: 'NL/EXAMPLECAB/1234567890B',
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'workshop-login',
      client_secret: 'oidc-provider-test-secret',
      application_type: 'native', // loopback redirects on any port (RFC 8252 7.3)
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: 'workshop-login-public',
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
    },
  ],
  scopes: ['openid', 'sermi', productScope],
  claims: { openid: ['sub'], sermi: Object.keys(sermi) },
  findAccount: async (ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, ...sermi }) }),
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['workshop-login-test-only'] },
});

http.createServer(provider.callback()).listen(port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
