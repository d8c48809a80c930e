export async function runScaleOut(){ return { markdown: [] }; }
