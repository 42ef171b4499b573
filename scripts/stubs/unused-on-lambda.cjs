// Stands in for modules Bolt imports eagerly but Lambda never uses (Socket Mode, Express, OAuth).
// Anything that touches it fails loudly instead of silently doing nothing.
const fail = () => {
  throw new Error('This module is left out of the Lambda bundle (foxops uses AwsLambdaReceiver there).');
};
module.exports = new Proxy(
  function unused() {
    fail();
  },
  { get: (_t, key) => (key === '__esModule' ? false : key === 'default' ? module.exports : fail), apply: fail, construct: fail },
);
