import { useEffect, useState } from 'react';
import { onConnectionChange } from '../api';

/**
 * Browser mode (e.g. the engine on a GPU server behind an SSH tunnel): says so while the server is
 * unreachable, and once it is back calls `onReconnected` so lists missed during the gap (job
 * progress, new samples) are read again instead of staying stale.
 */
export function ConnectionBanner({ onReconnected }: { onReconnected: () => void }) {
  const [lost, setLost] = useState(false);
  useEffect(() => {
    let dropped = false;
    return onConnectionChange((up) => {
      setLost(!up);
      if (!up) dropped = true;
      else if (dropped) onReconnected();
    });
  }, [onReconnected]);
  if (!lost) return null;
  return (
    <div className="connection-banner" role="alert">
      Connection to the STSR server lost — reconnecting… Jobs keep running on the server.
    </div>
  );
}
