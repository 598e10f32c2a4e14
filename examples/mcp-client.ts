// An MCP client talking to `sandplot mcp` over stdio, as Claude Desktop or an IDE does: it lists
// the tools, runs the sales analysis through execute_python, saves the PNGs it gets back, reads a
// figure resource, and disconnects (which closes the sandbox session).
//
//   npx tsx examples/mcp-client.ts                      # local sandbox
//   npx tsx examples/mcp-client.ts --backend agentcore  # AgentCore Code Interpreter (AWS credentials)
//
// Extra arguments are passed to `sandplot mcp` (see docs/mcp.md).
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  getDefaultEnvironment,
  StdioClientTransport,
} from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { SALES_CODE } from './shared/data-analyst.js';

// The installed package's command; a client configuration would say `npx -y sandplot mcp`.
const cli = fileURLToPath(
  new URL('./dist/cli/index.js', import.meta.resolve('sandplot/package.json')),
);
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [cli, 'mcp', ...process.argv.slice(2)],
  env: { ...getDefaultEnvironment(), ...(process.env as Record<string, string>) },
});
const client = new Client({ name: 'sandplot-example', version: '1.0.0' });
await client.connect(transport);

try {
  const { tools } = await client.listTools();
  console.log(`tools: ${tools.map((tool) => tool.name).join(', ')}`);

  const result = (await client.callTool({
    name: 'execute_python',
    arguments: { code: SALES_CODE, description: 'growth rates and charts' },
  })) as CallToolResult;
  let saved = 0;
  for (const block of result.content) {
    if (block.type === 'text') console.log(block.text);
    if (block.type === 'image') {
      const file = `mcp-figure-${++saved}.png`;
      await writeFile(file, Buffer.from(block.data, 'base64'));
      console.log(`saved ${block.mimeType} image to ${file}`);
    }
    if (block.type === 'resource_link') console.log(`link: ${block.name} ${block.uri}`);
  }

  const { resources } = await client.listResources();
  for (const resource of resources) console.log(`resource: ${resource.uri} ${resource.title}`);
  const first = resources[0];
  if (first) {
    const read = await client.readResource({ uri: first.uri });
    const content = read.contents[0];
    const bytes = content && 'blob' in content ? Buffer.from(content.blob, 'base64').length : 0;
    console.log(`read ${first.uri}: ${bytes} bytes`);
  }
} finally {
  await client.close();
}
