// Waiting for SIGTERM/SIGINT in a long-running command. The listeners stay installed (`on`, not
// `once`): execa's child-process cleanup (signal-exit) re-raises a signal when it finds itself the
// only listener left, which killed the process mid-shutdown whenever a kernel tool happened to be
// running at the moment the signal arrived. A second signal while stopping is ignored.

export function waitForStopSignal(): Promise<'SIGTERM' | 'SIGINT'> {
  return new Promise((resolve) => {
    let first: 'SIGTERM' | 'SIGINT' | undefined;
    const on = (sig: 'SIGTERM' | 'SIGINT') => () => {
      if (first !== undefined) return;
      first = sig;
      resolve(sig);
    };
    process.on('SIGTERM', on('SIGTERM'));
    process.on('SIGINT', on('SIGINT'));
  });
}
