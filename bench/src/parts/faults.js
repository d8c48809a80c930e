export async function runPgFault(){ return { markdown: [] }; }
export async function runRedisFault(){ return { markdown: [] }; }
