// Compiles contracts/**/*.sol with solc's standard JSON interface and writes
// fixtures/contracts/<Contract>.json: { contractName, source, compiler, abi, bytecode,
// deployedBytecode }. Output is deterministic: sorted sources, fixed settings.
'use strict';
const fs = require('fs');
const path = require('path');

const [solcPath, srcDir, outDir] = process.argv.slice(2);
const solc = require(path.resolve(solcPath));

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return walk(p);
      return e.name.endsWith('.sol') ? [p] : [];
    });
}

const files = walk(srcDir);
const sources = {};
for (const f of files) sources[f.split(path.sep).join('/')] = { content: fs.readFileSync(f, 'utf8') };

const input = {
  language: 'Solidity',
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: 'prague',
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
  },
};

const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === 'error');
for (const e of output.errors || []) process.stderr.write(e.formattedMessage + '\n');
if (errors.length > 0) process.exit(1);

fs.mkdirSync(outDir, { recursive: true });
const written = new Set();
for (const source of Object.keys(output.contracts).sort()) {
  for (const name of Object.keys(output.contracts[source]).sort()) {
    const c = output.contracts[source][name];
    // Abstract contracts have no artifact; an interface has one (ABI only, for bindings)
    // when it is its file's namesake (contracts/IZkRollup.sol's IZkRollup).
    const namesake = path.basename(source, '.sol') === name;
    if (!c.evm.bytecode.object && !(namesake && /^I[A-Z]/.test(name))) continue;
    if (written.has(name)) {
      process.stderr.write(`duplicate contract name ${name} in ${source}\n`);
      process.exit(1);
    }
    written.add(name);
    const artifact = {
      contractName: name,
      source,
      compiler: solc.version(),
      abi: c.abi,
      bytecode: '0x' + c.evm.bytecode.object,
      deployedBytecode: '0x' + c.evm.deployedBytecode.object,
    };
    fs.writeFileSync(path.join(outDir, name + '.json'), JSON.stringify(artifact, null, 2) + '\n');
  }
}
// Remove artifacts of contracts that no longer exist.
for (const f of fs.readdirSync(outDir)) {
  if (f.endsWith('.json') && !written.has(f.slice(0, -5))) fs.unlinkSync(path.join(outDir, f));
}
process.stderr.write(`compiled ${written.size} contracts with solc ${solc.version()}\n`);
